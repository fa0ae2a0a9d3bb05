/* Repères — the selection page (/selection).
 *
 * The page is rendered by the server from the ids in its URL (?ids=a,b). Opened without ids, it
 * asks for the ids kept in this browser; opened from a shared link whose ids differ from this
 * browser's selection, it offers to save them here.
 */
(function () {
  'use strict';

  function start() {
    var page = document.querySelector('[data-selection-page]');
    var store = window.Reperes && window.Reperes.selection;
    if (!page || !store) { return; }
    var pageIds = (page.getAttribute('data-ids') || '').split(',').filter(Boolean);
    var mine = store.ids();

    if (!pageIds.length && mine.length) {
      window.location.replace(store.url(mine));
      return;
    }

    function sameAsMine() {
      var current = store.ids();
      if (current.length !== pageIds.length) { return false; }
      return pageIds.every(function (id) { return current.indexOf(id) !== -1; });
    }

    var owned = pageIds.length > 0 && sameAsMine();
    var banner = document.getElementById('selection-partagee');
    if (banner && pageIds.length && !owned) { banner.hidden = false; }

    // Removing an item from one's own selection shows the updated selection.
    document.addEventListener('reperes:selection', function () {
      if (owned) { window.location.replace(store.url(store.ids())); }
    });

    document.addEventListener('click', function (event) {
      var target = event.target.closest('[data-action]');
      if (!target) { return; }
      var action = target.getAttribute('data-action');
      if (action === 'enregistrer-selection') {
        var items = store.load();
        var known = items.map(function (x) { return x.id; });
        document.querySelectorAll('article[data-service-id]').forEach(function (article) {
          var id = article.getAttribute('data-service-id');
          if (known.indexOf(id) === -1) {
            var button = article.querySelector('[data-action="ajouter-selection"]');
            items.push({ id: id, nom: button ? button.getAttribute('data-nom') : '',
                         besoin: button ? button.getAttribute('data-besoin') : '',
                         levier: button ? button.getAttribute('data-levier') : '', ajoute: new Date().toISOString() });
            known.push(id);
          }
        });
        owned = false;  // saving must not reload this page
        store.save(items);
        banner.hidden = true;
        window.Reperes.announce('Sélection enregistrée dans ce navigateur (' + items.length + ' services).');
        owned = sameAsMine();
      } else if (action === 'imprimer') {
        window.print();
      } else if (action === 'copier-lien') {
        var field = document.getElementById('lien-partage');
        var done = function () { window.Reperes.announce('Lien copié.'); };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(field.value).then(done, function () { field.select(); });
        } else {
          field.select();
          try { document.execCommand('copy'); done(); } catch (e) { /* selected: the person copies it */ }
        }
      } else if (action === 'vider-selection') {
        owned = false;
        store.clear();
        window.location.replace('/selection');
      }
    });
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
