// Métier field: fills the <datalist> with /metiers/suggestions as the adviser types (the form works without it).
(function () {
  "use strict";
  var input = document.getElementById("metier-q");
  var list = document.getElementById("metier-suggestions");
  if (!input || !list || !window.fetch) { return; }
  var url = input.getAttribute("data-suggestions-url");
  var timer = null;
  var last = "";
  input.addEventListener("input", function () {
    var q = input.value.trim();
    if (q.length < 2 || q === last) { return; }
    last = q;
    clearTimeout(timer);
    timer = setTimeout(function () {
      fetch(url + "?q=" + encodeURIComponent(q), {headers: {"Accept": "application/json"}})
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (items) {
          while (list.firstChild) { list.removeChild(list.firstChild); }
          items.forEach(function (m) {
            var option = document.createElement("option");
            option.value = m.code;
            option.label = m.libelle + (m.appellation ? " — « " + m.appellation + " »" : "");
            list.appendChild(option);
          });
        })
        .catch(function () { /* no suggestions: the form still works */ });
    }, 150);
  });
})();
