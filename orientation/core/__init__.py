"""The kernel every package builds on: config, database, clock, phones, calendar, models…"""
