/* Repères — the needs diagnostic plan (/diagnostic/plan): the "Imprimer ce plan" button.
 * The answers stay in the page's address; nothing is sent or stored by this script. */
(function () {
  'use strict';
  document.addEventListener('click', function (event) {
    var target = event.target.closest('[data-action="imprimer-plan"]');
    if (target) { window.print(); }
  });
})();
