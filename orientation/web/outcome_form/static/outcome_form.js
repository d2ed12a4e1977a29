// Search-as-you-type in the directory for the outcome form; without JavaScript the "Chercher" button does it.
(function () {
  "use strict";
  var box = document.getElementById("entry");
  var results = document.getElementById("results");
  if (!box || !results || !window.fetch) { return; }
  var input = box.querySelector("input[type=search]");
  var url = box.getAttribute("data-search");
  var timer = null;
  var latest = 0;

  function choice(item) {
    var label = document.createElement("label");
    label.className = "choice";
    var radio = document.createElement("input");
    radio.type = "radio";
    radio.name = "directory_entry_id";
    radio.value = String(item.id);
    var text = document.createElement("span");
    text.appendChild(document.createTextNode(item.name));
    text.appendChild(document.createElement("br"));
    var what = document.createElement("span");
    what.className = "what";
    what.textContent = (item.what + " " + item.where).trim();
    text.appendChild(what);
    label.appendChild(radio);
    label.appendChild(document.createTextNode(" "));
    label.appendChild(text);
    return label;
  }

  function show(items, query) {
    var checked = results.querySelector("input:checked");
    while (results.firstChild) { results.removeChild(results.firstChild); }
    if (checked) { results.appendChild(checked.closest("label")); }
    items.forEach(function (item) {
      if (!checked || checked.value !== String(item.id)) { results.appendChild(choice(item)); }
    });
    if (!items.length && query) {
      var none = document.createElement("p");
      none.className = "meta";
      none.textContent = "Aucun résultat pour « " + query + " ».";
      results.appendChild(none);
    }
  }

  function search() {
    var query = input.value.trim();
    if (query.length < 2) { return; }
    var ticket = ++latest;
    // The search URL already carries the link's token in its query string.
    var join = url.indexOf("?") < 0 ? "?" : "&";
    fetch(url + join + "q=" + encodeURIComponent(query), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : { items: [] }; })
      .then(function (body) { if (ticket === latest) { show(body.items || [], query); } })
      .catch(function () { /* offline: the Chercher button still works */ });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(search, 250);
  });
  input.addEventListener("keydown", function (event) {
    // Enter in the search box searches; it must not submit the outcome form.
    if (event.key === "Enter") { event.preventDefault(); clearTimeout(timer); search(); }
  });
})();
