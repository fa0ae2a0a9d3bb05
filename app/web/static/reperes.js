/* Repères — progressive enhancement of the server-rendered pages (no framework, no inline script).
 *
 * - the selection: services kept in this browser (localStorage), never sent to the server except as
 *   ids in a link the person chooses to open or share;
 * - commune autocomplete (ARIA 1.2 combobox) on /communes/suggestions, and "autour de moi";
 * - elements marked data-js-only are shown only when this script runs.
 */
(function () {
  'use strict';

  var KEY = 'reperes.selection.v1';
  var MAX = 50;

  // -- the selection store ---------------------------------------------------------------------
  function load() {
    try {
      var raw = JSON.parse(window.localStorage.getItem(KEY) || '[]');
      return Array.isArray(raw) ? raw.filter(function (x) { return x && typeof x.id === 'string'; }) : [];
    } catch (e) {
      return [];
    }
  }

  function save(items) {
    try {
      window.localStorage.setItem(KEY, JSON.stringify(items.slice(0, MAX)));
    } catch (e) { /* private mode or full storage: the page still works, the selection does not persist */ }
    refresh();
    document.dispatchEvent(new CustomEvent('reperes:selection', { detail: { items: items } }));
  }

  function has(id) {
    return load().some(function (x) { return x.id === id; });
  }

  function add(item) {
    var items = load().filter(function (x) { return x.id !== item.id; });
    items.push({ id: item.id, nom: item.nom || '', besoin: item.besoin || '', levier: item.levier || '',
                 ajoute: new Date().toISOString() });
    save(items);
  }

  function remove(id) {
    save(load().filter(function (x) { return x.id !== id; }));
  }

  function clear() {
    save([]);
  }

  function ids() {
    return load().map(function (x) { return x.id; });
  }

  function selectionUrl(list) {
    if (!list.length) { return '/selection'; }
    // The need each service was added for (aligned with the ids), so the page files it there.
    var byId = {};
    load().forEach(function (x) { byId[x.id] = x.levier || ''; });
    var needs = list.map(function (id) { return byId[id] || ''; });
    var url = '/selection?ids=' + list.map(encodeURIComponent).join(',');
    return needs.some(Boolean) ? url + '&besoins=' + needs.map(encodeURIComponent).join(',') : url;
  }

  function announce(message) {
    var live = document.getElementById('annonce');
    if (!live) { return; }
    live.textContent = '';
    window.setTimeout(function () { live.textContent = message; }, 50);
  }

  // -- buttons "ajouter à ma sélection" --------------------------------------------------------
  function setButton(button) {
    var inSelection = has(button.getAttribute('data-service-id'));
    var name = button.getAttribute('data-nom') || '';
    // One inline wrapper: DSFR buttons are flex boxes, which would trim the spaces between words.
    var label = document.createElement('span');
    var hidden = document.createElement('span');
    hidden.className = 'fr-sr-only';
    hidden.textContent = ' : « ' + name + ' »';  // after the visible words (WCAG 2.5.3, label in name)
    label.appendChild(document.createTextNode(inSelection ? 'Retirer de ma sélection' : 'Ajouter à ma sélection'));
    label.appendChild(hidden);
    while (button.firstChild) { button.removeChild(button.firstChild); }
    button.appendChild(label);
    button.classList.toggle('fr-icon-add-line', !inSelection);
    button.classList.toggle('fr-icon-check-line', inSelection);
    button.classList.toggle('est-selectionne', inSelection);
  }

  function refresh() {
    var count = load().length;
    document.querySelectorAll('[data-selection-compte]').forEach(function (el) {
      el.textContent = count ? String(count) : '';
    });
    document.querySelectorAll('[data-action="ajouter-selection"]').forEach(setButton);
  }

  document.addEventListener('click', function (event) {
    var button = event.target.closest('[data-action="ajouter-selection"]');
    if (!button) { return; }
    event.preventDefault();
    var id = button.getAttribute('data-service-id');
    var name = button.getAttribute('data-nom') || 'Service';
    if (has(id)) {
      remove(id);
      announce('« ' + name + ' » retiré de votre sélection (' + load().length + ').');
    } else {
      if (load().length >= MAX) {
        announce('Votre sélection est pleine (' + MAX + ' services).');
        return;
      }
      add({ id: id, nom: name, besoin: button.getAttribute('data-besoin'), levier: button.getAttribute('data-levier') });
      announce('« ' + name + ' » ajouté à votre sélection (' + load().length + ').');
    }
  });

  window.addEventListener('storage', function (event) {
    if (event.key === KEY) { refresh(); }
  });

  // -- commune autocomplete (combobox with a listbox popup) -------------------------------------
  function autocomplete(group) {
    var input = group.querySelector('input[name="lieu"]');
    var code = group.querySelector('[data-champ="code_commune"]');
    var lat = group.querySelector('[data-champ="lat"]');
    var lon = group.querySelector('[data-champ="lon"]');
    var message = group.querySelector('.fr-message');
    if (!input) { return; }
    var list = document.createElement('ul');
    list.id = input.id + '-suggestions';
    list.className = 'suggestions';
    list.setAttribute('role', 'listbox');
    list.setAttribute('aria-label', 'Communes proposées');
    list.hidden = true;
    input.parentNode.insertBefore(list, input.nextSibling);
    input.setAttribute('role', 'combobox');
    input.setAttribute('aria-autocomplete', 'list');
    input.setAttribute('aria-expanded', 'false');
    input.setAttribute('aria-controls', list.id);

    var options = [];
    var active = -1;
    var timer = null;
    var lastQuery = '';

    function close() {
      list.hidden = true;
      input.setAttribute('aria-expanded', 'false');
      input.removeAttribute('aria-activedescendant');
      active = -1;
    }

    function highlight(index) {
      var items = list.querySelectorAll('[role="option"]');
      items.forEach(function (li, i) { li.setAttribute('aria-selected', i === index ? 'true' : 'false'); });
      active = index;
      if (index >= 0 && items[index]) {
        input.setAttribute('aria-activedescendant', items[index].id);
        items[index].scrollIntoView({ block: 'nearest' });
      } else {
        input.removeAttribute('aria-activedescendant');
      }
    }

    function choose(index) {
      var c = options[index];
      if (!c) { return; }
      input.value = c.nom;
      code.value = c.code_insee;
      lat.value = '';
      lon.value = '';
      if (message) { message.textContent = c.libelle + ' — ' + c.departement; }
      close();
    }

    function render(items) {
      options = items;
      while (list.firstChild) { list.removeChild(list.firstChild); }
      items.forEach(function (c, i) {
        var li = document.createElement('li');
        li.id = list.id + '-' + i;
        li.setAttribute('role', 'option');
        li.setAttribute('aria-selected', 'false');
        li.setAttribute('data-code', c.code_insee);
        li.appendChild(document.createTextNode(c.nom + ' '));
        var dep = document.createElement('span');
        dep.className = 'dep';
        dep.textContent = '(' + (c.codes_postaux[0] || c.code_departement) + ') — ' + c.departement;
        li.appendChild(dep);
        li.addEventListener('mousedown', function (e) { e.preventDefault(); choose(i); });
        list.appendChild(li);
      });
      var open = items.length > 0;
      list.hidden = !open;
      input.setAttribute('aria-expanded', open ? 'true' : 'false');
      active = -1;
    }

    function suggest() {
      var q = input.value.trim();
      if (q.length < 2 || q === lastQuery) {
        if (q.length < 2) { render([]); }
        return;
      }
      lastQuery = q;
      fetch('/communes/suggestions?q=' + encodeURIComponent(q), { headers: { Accept: 'application/json' } })
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (items) { if (input.value.trim() === q) { render(items); } })
        .catch(function () { render([]); });
    }

    input.addEventListener('input', function () {
      code.value = '';
      lat.value = '';
      lon.value = '';
      if (message) { message.textContent = ''; }
      window.clearTimeout(timer);
      timer = window.setTimeout(suggest, 120);
    });
    input.addEventListener('keydown', function (e) {
      if (list.hidden) {
        if (e.key === 'ArrowDown') { lastQuery = ''; suggest(); }
        return;
      }
      if (e.key === 'ArrowDown') { e.preventDefault(); highlight(Math.min(active + 1, options.length - 1)); }
      else if (e.key === 'ArrowUp') { e.preventDefault(); highlight(Math.max(active - 1, 0)); }
      else if (e.key === 'Enter' && active >= 0) { e.preventDefault(); choose(active); }
      else if (e.key === 'Escape') { e.preventDefault(); close(); }
    });
    input.addEventListener('blur', function () { window.setTimeout(close, 150); });

    var around = group.querySelector('[data-action="autour-de-moi"]');
    if (around && navigator.geolocation) {
      around.addEventListener('click', function () {
        if (message) { message.textContent = 'Recherche de votre position…'; }
        navigator.geolocation.getCurrentPosition(function (pos) {
          lat.value = pos.coords.latitude.toFixed(5);
          lon.value = pos.coords.longitude.toFixed(5);
          code.value = '';
          input.value = 'Autour de moi';
          if (message) { message.textContent = 'Position trouvée : la recherche se fera autour de vous.'; }
        }, function () {
          if (message) { message.textContent = 'Position indisponible : saisissez une commune.'; }
        }, { enableHighAccuracy: false, timeout: 10000, maximumAge: 600000 });
      });
    } else if (around) {
      around.remove();
    }
  }

  // -- clean links: empty fields are not sent (the page works the same with them) ---------------
  function tidy(form) {
    form.addEventListener('submit', function () {
      form.querySelectorAll('input[name]').forEach(function (input) {
        if (input.type !== 'checkbox' && input.type !== 'radio' && !input.value) { input.disabled = true; }
      });
    });
  }

  window.addEventListener('pageshow', function () {  // back/forward cache: fields usable again
    document.querySelectorAll('form input[disabled][name]').forEach(function (input) { input.disabled = false; });
  });

  // -- start -----------------------------------------------------------------------------------
  function start() {
    document.querySelectorAll('form.recherche, form.filtres').forEach(tidy);
    document.querySelectorAll('[data-js-only]').forEach(function (el) { el.hidden = false; });
    document.querySelectorAll('[data-autocompletion]').forEach(autocomplete);
    refresh();
  }

  window.Reperes = {
    selection: { load: load, save: save, add: add, remove: remove, clear: clear, ids: ids, has: has,
                 url: selectionUrl, refresh: refresh },
    announce: announce
  };

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
