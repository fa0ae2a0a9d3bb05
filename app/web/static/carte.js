/* Repères — the results map (Leaflet). The base layer is drawn from our own outlines
 * (/carte/departements.geojson, /carte/contours/<dep>.geojson), so it works without any tile
 * server; a tile URL (setting REPERES_MAP_TILES_URL) adds tiles underneath in production.
 * One numbered marker per result card, matching the card's number.
 */
(function () {
  'use strict';

  function number(value) {
    var n = parseFloat(value);
    return isNaN(n) ? null : n;
  }

  function start() {
    var el = document.getElementById('carte');
    if (!el || !window.L) { return; }
    var L = window.L;
    while (el.firstChild) { el.removeChild(el.firstChild); }

    var map = L.map(el, { zoomControl: false, scrollWheelZoom: false, zoomSnap: 0.5, attributionControl: true });
    L.control.zoom({ zoomInTitle: 'Zoomer', zoomOutTitle: 'Dézoomer', position: 'topleft' }).addTo(map);
    map.attributionControl.setPrefix(false);
    map.attributionControl.addAttribution('Contours : IGN, INSEE (Licence Ouverte)');

    var tiles = el.getAttribute('data-tuiles');
    if (tiles) {
      L.tileLayer(tiles, { maxZoom: 18, attribution: 'Fond de carte' }).addTo(map);
    }

    // Our outlines sit above tiles (pane 200) and below markers (600): départements, then finer contours.
    map.createPane('departements').style.zIndex = 250;
    map.createPane('contours').style.zIndex = 260;
    var outline = { pane: 'departements', color: '#6a6af4', weight: 1.2, fillColor: '#f5f5fe',
                    fillOpacity: tiles ? 0.1 : 1, interactive: false };
    var inner = { pane: 'contours', color: '#9a9aff', weight: 0.6, fill: false, interactive: false };
    var bounds = L.latLngBounds([]);

    var lat = number(el.getAttribute('data-lat'));
    var lon = number(el.getAttribute('data-lon'));
    if (lat !== null && lon !== null) {
      var origin = L.marker([lat, lon], {
        icon: L.divIcon({ className: 'marqueur marqueur--origine', iconSize: [14, 14] }),
        keyboard: false, title: 'Lieu de la recherche : ' + (el.getAttribute('data-origine') || ''), zIndexOffset: -100
      }).addTo(map);
      origin.bindTooltip(el.getAttribute('data-origine') || 'Lieu de la recherche');
      bounds.extend([lat, lon]);
    }

    var markers = [];
    document.querySelectorAll('article[data-service-id][data-lat]').forEach(function (card) {
      var plat = number(card.getAttribute('data-lat'));
      var plon = number(card.getAttribute('data-lon'));
      if (plat === null || plon === null) { return; }
      var rank = card.getAttribute('data-rang') || '';
      var name = card.getAttribute('data-nom') || '';
      var link = card.querySelector('.fr-card__title a');
      var marker = L.marker([plat, plon], {
        icon: L.divIcon({ className: 'marqueur', html: '<span>' + String(rank).replace(/\D/g, '') + '</span>',
                          iconSize: [26, 26], iconAnchor: [13, 13], popupAnchor: [0, -12] }),
        keyboard: false, title: (rank ? rank + '. ' : '') + name, riseOnHover: true
      });
      var popup = document.createElement('div');
      var a = document.createElement('a');
      a.href = link ? link.getAttribute('href') : '#';
      a.textContent = name;
      popup.appendChild(a);
      var structure = card.querySelector('.structure');
      if (structure) {
        var p = document.createElement('p');
        p.className = 'fr-text--xs fr-mb-0';
        p.textContent = structure.textContent;
        popup.appendChild(p);
      }
      marker.bindPopup(popup);
      marker.on('popupopen', function (e) {
        var close = e.popup.getElement() && e.popup.getElement().querySelector('.leaflet-popup-close-button');
        if (close) { close.setAttribute('aria-label', 'Fermer'); close.setAttribute('title', 'Fermer'); }
      });
      marker.on('mouseover', function () { card.classList.add('est-survolee'); });
      marker.on('mouseout', function () { card.classList.remove('est-survolee'); });
      card.addEventListener('mouseenter', function () { marker.setZIndexOffset(1000); });
      card.addEventListener('mouseleave', function () { marker.setZIndexOffset(0); });
      marker.addTo(map);
      markers.push(marker);
      bounds.extend([plat, plon]);
    });

    if (bounds.isValid()) {
      map.fitBounds(bounds, { padding: [30, 30], maxZoom: 13 });
    } else {
      map.setView([46.6, 2.4], 5);
    }

    function addOutlines(url, style) {
      if (!url) { return; }
      fetch(url).then(function (r) { return r.ok ? r.json() : null; }).then(function (data) {
        if (!data) { return; }
        L.geoJSON(data, { pane: style.pane, style: style, interactive: false }).addTo(map);
      }).catch(function () { /* the markers stay usable without outlines */ });
    }
    addOutlines(el.getAttribute('data-contours'), inner);
    addOutlines(el.getAttribute('data-departements'), outline);
    el.setAttribute('data-markers', String(markers.length));
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
