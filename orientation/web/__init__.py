"""The web layer: JSON API, console, outcome form, volunteer page; thin adapters over services."""
