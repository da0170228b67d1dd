/* The wall's browser side: rotation, clock and ageing of the as-of times run here, so the
   server never sleeps and never pushes; and the wall rides out a server restart or a network
   blip: a failed update keeps the last content and shows "reconnecting" until one succeeds. */
(function () {
  'use strict';

  function noUpdate() { return window.dash_clientside.no_update; }

  function ids(list) { return (list || []).map(function (item) { return item.id; }); }

  function states(index) {
    var ctx = window.dash_clientside.callback_context;
    return ids(ctx.states_list && ctx.states_list[index]);
  }

  function sameList(a, b) {
    return Array.isArray(b) && a.length === b.length && a.every(function (v, i) { return v === b[i]; });
  }

  // The slot is a function of the time of day, so several screens on one playlist turn together.
  function activeSlot(slots) {
    var total = slots.reduce(function (sum, slot) { return sum + slot.seconds; }, 0);
    var at = (Date.now() / 1000) % total;
    var i = 0;
    while (i < slots.length - 1 && at >= slots[i].seconds) { at -= slots[i].seconds; i += 1; }
    return {index: i, at: at};
  }

  // View drawings asked of the server and not yet answered (counted by the fetch wrapper below).
  var drawing = 0;

  // Dash calls these by name (ClientsideFunction('wall', ...)): no inline script on the page.
  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.wall = {
    viewport: function (n, current) {
      var size = {w: window.innerWidth, h: window.innerHeight};
      return current && current.w === size.w && current.h === size.h ? noUpdate() : size;
    },

    rotate: function (n, playlist, classes) {
      var nu = noUpdate();
      var slots = playlist && playlist.slots;
      if (!slots || !slots.length) { return [nu, nu, nu, nu]; }
      var now = activeSlot(slots), i = now.index, at = now.at, slot = slots[i];
      var wanted = states(0).map(function (id) { return 'wall-view' + (id.index === slot.view ? ' active' : ''); });
      var dots = slots.map(function (_, k) { return k === i ? '\u25CF' : '\u25CB'; }).join(' ');
      var width = Math.min(100, 100 * at / slot.seconds).toFixed(1) + '%';
      return [sameList(wanted, classes) ? nu : wanted, slot.title, dots, {width: width}];
    },

    // Which snapshot each view is to be drawn from: the view on screen at once, the others when no
    // drawing is outstanding any more (checked every tick), so they do not slow the one being looked at.
    schedule: function (snapshot, n, playlist) {
      var nu = noUpdate();
      var views = (playlist && playlist.views) || [];
      var go = Array.prototype.slice.call(arguments, 3);
      var slots = playlist && playlist.slots;
      if (typeof snapshot !== 'number' || !slots || !slots.length) { return views.map(function () { return nu; }); }
      var active = slots[activeSlot(slots).index].view;
      var activeDrawn = go[views.indexOf(active)] === snapshot && drawing === 0;
      return views.map(function (view, k) {
        if (go[k] === snapshot) { return nu; }
        return view === active || activeDrawn ? snapshot : nu;
      });
    },

    // The province's time whatever the display PC's zone: the stores keep ICT too.
    clock: function (n) {
      var parts = new Intl.DateTimeFormat('en-GB', {timeZone: 'Asia/Ho_Chi_Minh', hour: '2-digit',
        minute: '2-digit', second: '2-digit', day: '2-digit', month: '2-digit', year: 'numeric',
        hourCycle: 'h23'}).formatToParts(new Date());
      var v = {};
      parts.forEach(function (p) { v[p.type] = p.value; });
      return [v.hour + ':' + v.minute + ':' + v.second, v.day + '/' + v.month + '/' + v.year];
    },

    // ok, late (amber) or very_late (red) from the age of each source's newest record.
    age: function (n, fresh, classes) {
      var now = Date.now();
      var wanted = states(0).map(function (id) {
        var f = fresh && fresh[id.kind];
        var state = 'ok';
        if (f && f.amber_ms) {
          var age = f.newest_ms === null ? Infinity : now - f.newest_ms;
          state = age > f.red_ms ? 'very_late' : (age > f.amber_ms ? 'late' : 'ok');
        }
        return 'wall-asof wall-' + state;
      });
      return sameList(wanted, classes) ? noUpdate() : wanted;
    }
  };

  // Dash asks the server through fetch. On the wall, an unreachable server (network error, or a
  // proxy's 502-504 while it restarts) is answered here with 204 No Content, which Dash takes as
  // "nothing to update": the panels keep their last content and no error reaches the page.
  var originalFetch = window.fetch.bind(window);
  function onWall(input) {
    var url = typeof input === 'string' ? input : (input && input.url) || '';
    return url.indexOf('/_dash-update-component') !== -1 && document.getElementById('wall') !== null;
  }
  function offline(flag) { document.body.classList.toggle('wall-offline', flag); }
  function nothing() { return new Response(null, {status: 204}); }

  function drawsView(init) {
    return Boolean(init && typeof init.body === 'string' && init.body.indexOf('"wall-body-') !== -1);
  }
  window.fetch = function (input, init) {
    if (!onWall(input)) { return originalFetch(input, init); }
    var draws = drawsView(init);
    if (draws) { drawing += 1; }
    var done = function () { if (draws) { drawing -= 1; } };
    return originalFetch(input, init).then(function (response) {
      done();
      if (response.status === 401) {
        window.location.assign('/login?next=' + encodeURIComponent(location.pathname + location.search));
        return nothing();
      }
      if (response.status >= 502 && response.status <= 504) { offline(true); return nothing(); }
      offline(false);
      return response;
    }, function () {
      done();
      offline(true);
      return nothing();
    });
  };
}());
