// Catalyst: keyboard shortcuts for the agent console. Progressive enhancement only:
// every page works without this script. Shortcuts are ignored while typing in a field
// and when a modifier key is held.
(function () {
  'use strict';

  var NOT_TEXT = ['checkbox', 'radio', 'button', 'submit', 'reset', 'file', 'image', 'range', 'color'];

  function typing(el) {
    if (!el || !el.tagName) return false;
    if (el.isContentEditable) return true;
    var tag = el.tagName;
    if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
    if (tag === 'INPUT') return NOT_TEXT.indexOf((el.type || 'text').toLowerCase()) === -1;
    return false;
  }

  // ---------- the list of shortcuts ----------

  var dialog = null;

  function toggleHelp() {
    var details = document.getElementById('shortcuts');
    if (!details) return;
    if (typeof window.HTMLDialogElement !== 'function') {
      details.open = !details.open;
      if (details.open) details.querySelector('summary').focus();
      return;
    }
    if (!dialog) {
      dialog = document.createElement('dialog');
      dialog.className = 'shortcuts-dialog';
      dialog.setAttribute('aria-labelledby', 'shortcuts-dialog-title');
      var title = document.createElement('h2');
      title.id = 'shortcuts-dialog-title';
      title.textContent = 'Keyboard shortcuts';
      dialog.appendChild(title);
      var list = details.querySelector('dl');
      if (list) dialog.appendChild(list.cloneNode(true));
      var close = document.createElement('button');
      close.type = 'button';
      close.textContent = 'Close';
      close.addEventListener('click', function () { dialog.close(); });
      dialog.appendChild(close);
      document.body.appendChild(dialog);
    }
    if (dialog.open) {
      dialog.close();
    } else {
      dialog.showModal();
    }
  }

  // ---------- the ticket list ----------

  var table = document.querySelector('[data-ticket-list]');
  var rows = table ? Array.prototype.slice.call(table.querySelectorAll('tr[data-row]')) : [];
  var current = -1;

  function highlight(i) {
    if (!rows.length) return;
    i = Math.max(0, Math.min(rows.length - 1, i));
    if (current >= 0 && rows[current]) rows[current].classList.remove('is-current');
    current = i;
    var row = rows[current];
    row.classList.add('is-current');
    var link = row.querySelector('a[data-open]');
    if (link) link.focus();
    if (row.scrollIntoView) row.scrollIntoView({ block: 'nearest' });
  }

  function rowOf(el) {
    for (var i = 0; i < rows.length; i += 1) {
      if (rows[i].contains(el)) return i;
    }
    return -1;
  }

  if (table) {
    // Keep the highlight where the keyboard focus is.
    table.addEventListener('focusin', function (e) {
      var i = rowOf(e.target);
      if (i >= 0 && i !== current) {
        if (current >= 0 && rows[current]) rows[current].classList.remove('is-current');
        current = i;
        rows[current].classList.add('is-current');
      }
    });
  }

  function openCurrent() {
    if (current < 0) return false;
    var link = rows[current].querySelector('a[data-open]');
    if (!link) return false;
    window.location.assign(link.href);
    return true;
  }

  function toggleCurrent() {
    if (current < 0) return false;
    var box = rows[current].querySelector('input[type="checkbox"]');
    if (!box) return false;
    box.checked = !box.checked;
    return true;
  }

  // ---------- the ticket page ----------

  var replyForm = document.getElementById('reply-form');
  var replyBody = document.getElementById('reply-body');
  var addNote = document.getElementById('add-note');
  var sendReply = document.getElementById('send-reply');
  var modeText = document.getElementById('reply-mode');

  function replyMode(note) {
    if (!replyForm || !replyBody) return false;
    if (note) {
      replyForm.setAttribute('data-mode', 'note');
    } else {
      replyForm.removeAttribute('data-mode');
    }
    if (modeText) {
      modeText.textContent = note
        ? 'Writing an internal note. Ctrl+Enter adds it.'
        : 'Writing a public reply. Ctrl+Enter sends it.';
    }
    replyBody.focus();
    return true;
  }

  if (replyBody && replyForm) {
    // Ctrl+Enter (or Cmd+Enter) submits with the button of the current mode.
    replyBody.addEventListener('keydown', function (e) {
      if (e.key !== 'Enter' || !(e.ctrlKey || e.metaKey)) return;
      var button = replyForm.getAttribute('data-mode') === 'note' ? addNote : sendReply;
      if (!button) return;
      e.preventDefault();
      if (typeof replyForm.requestSubmit === 'function') {
        replyForm.requestSubmit(button);
      } else {
        button.click();
      }
    });
  }

  function assignToMe() {
    var button = document.getElementById('assign-me');
    if (!button) return false;
    button.click();
    return true;
  }

  // ---------- error summaries ----------

  // After a refused form, start where the problems are listed.
  var summary = document.querySelector('.error-summary');
  if (summary) summary.focus();

  // ---------- the notifications bell ----------

  // The server renders the unread count; a live stream keeps it current. Browsers
  // reconnect an EventSource by themselves after a dropped connection.
  var bellCount = document.querySelector('[data-unread-count]');
  if (bellCount && typeof window.EventSource === 'function') {
    var stream = new EventSource('/v1/notifications/stream');
    stream.addEventListener('unread', function (e) {
      var n = parseInt(e.data, 10);
      if (isNaN(n) || n < 0) return;
      bellCount.textContent = String(n);
      if (n > 0) {
        bellCount.classList.add('unread');
      } else {
        bellCount.classList.remove('unread');
      }
    });
    window.addEventListener('pagehide', function () { stream.close(); });
  }

  // ---------- the holidays of a calendar ----------

  // Without the script, "Add more holiday rows" reloads the form with blank rows; with
  // it, a row is added in place.
  var holidays = document.querySelector('[data-holidays] tbody');
  var rowCount = document.querySelector('input[name="rows"]');
  var moreRows = document.querySelector('button[name="action"][value="more"]');
  if (holidays && rowCount && moreRows) {
    moreRows.addEventListener('click', function (e) {
      var last = holidays.querySelector('tr[data-holiday-row]:last-child');
      if (!last) return;
      e.preventDefault();
      var n = parseInt(rowCount.value, 10) || 0;
      var row = last.cloneNode(true);
      var re = /^h\d+(_|-)/;
      Array.prototype.forEach.call(row.querySelectorAll('[id],[name],[for]'), function (el) {
        ['id', 'name', 'for'].forEach(function (attr) {
          var v = el.getAttribute(attr);
          if (v && re.test(v)) el.setAttribute(attr, v.replace(re, 'h' + n + '$1'));
        });
        if (el.tagName === 'INPUT') {
          if (el.type === 'checkbox') { el.checked = false; } else { el.value = ''; }
          el.removeAttribute('aria-invalid');
          el.removeAttribute('aria-describedby');
        }
        if (el.tagName === 'LABEL') {
          el.innerHTML = el.innerHTML.replace(/Holiday \d+/, 'Holiday ' + (n + 1));
        }
      });
      Array.prototype.forEach.call(row.querySelectorAll('.field-error'), function (el) {
        el.parentNode.removeChild(el);
      });
      holidays.appendChild(row);
      rowCount.value = String(n + 1);
      var first = row.querySelector('input[type="text"]');
      if (first) first.focus();
    });
  }

  // ---------- one listener ----------

  document.addEventListener('keydown', function (e) {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
    if (typing(e.target)) return;
    if (dialog && dialog.open && e.key !== '?') return;
    var handled = false;
    switch (e.key) {
      case '?':
        toggleHelp();
        handled = true;
        break;
      case 'j':
        if (rows.length) { highlight(current + 1); handled = true; }
        break;
      case 'k':
        if (rows.length) { highlight(current < 0 ? 0 : current - 1); handled = true; }
        break;
      case 'o':
        handled = openCurrent();
        break;
      case 'Enter':
        // A focused link or button does its own thing.
        if (e.target === document.body) handled = openCurrent();
        break;
      case 'x':
        handled = toggleCurrent();
        break;
      case 'a':
        handled = assignToMe();
        break;
      case 'r':
        handled = replyMode(false);
        break;
      case 'n':
        handled = replyMode(true);
        break;
      default:
        break;
    }
    if (handled) e.preventDefault();
  });
})();

// Search as you type and article suggestions on the report form. Progressive enhancement:
// without this script the search forms submit normally and the report form has no
// suggestions. Results come from the JSON API with the session cookie; titles and snippets
// are escaped by the server (only <mark> is markup), so they are inserted as HTML.
(function () {
  'use strict';

  function debounce(fn, ms) {
    var t = null;
    return function () {
      var args = arguments;
      clearTimeout(t);
      t = setTimeout(function () { fn.apply(null, args); }, ms);
    };
  }

  function csrf() {
    var el = document.querySelector('input[name="csrf"]');
    return el ? el.value : '';
  }

  function link(base, item, extra) {
    var kind = item.type === 'ticket' ? '/tickets/' : '/kb/';
    return base + kind + encodeURIComponent(item.id) + (extra || '');
  }

  function renderList(box, items, hrefOf, empty) {
    box.textContent = '';
    if (!items.length) {
      if (empty) {
        var p = document.createElement('p');
        p.textContent = empty;
        box.appendChild(p);
      }
      return;
    }
    var ul = document.createElement('ul');
    ul.className = 'results';
    items.forEach(function (item) {
      var li = document.createElement('li');
      var a = document.createElement('a');
      a.href = hrefOf(item);
      a.innerHTML = (item.number ? item.number + ' · ' : '') + item.titleHtml;
      li.appendChild(a);
      var p = document.createElement('p');
      p.className = 'snippet';
      p.innerHTML = item.snippetHtml;
      li.appendChild(p);
      ul.appendChild(li);
    });
    box.appendChild(ul);
  }

  document.querySelectorAll('input[data-live-search]').forEach(function (input) {
    var box = document.getElementById(input.getAttribute('data-live-target'));
    var base = input.getAttribute('data-live-base') || '/portal';
    var types = input.getAttribute('data-live-search');
    if (!box || !window.fetch) return;
    var seq = 0;
    input.addEventListener('input', debounce(function () {
      var q = input.value;
      var mine = ++seq;
      if (q.trim().length < 2) { box.textContent = ''; return; }
      var url = '/v1/search?record=false&limit=8&q=' + encodeURIComponent(q) + (types ? '&types=' + types : '');
      fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data || mine !== seq) return;
          renderList(box, data.items, function (item) { return link(base, item); },
            'No matches yet — press Enter to search.');
        })
        .catch(function () { /* the form still works */ });
    }, 150));
  });

  var subject = document.querySelector('input[data-suggest]');
  if (subject && window.fetch) {
    var box = document.getElementById(subject.getAttribute('data-suggest'));
    var hidden = document.querySelector('input[data-deflection]');
    var seq = 0;
    subject.addEventListener('input', debounce(function () {
      var text = subject.value;
      var mine = ++seq;
      if (!box || text.trim().length < 3) return;
      var body = { text: text.slice(0, 200) };
      if (hidden && hidden.value) body.deflectionId = hidden.value;
      fetch('/v1/kb/suggestions', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf(), Accept: 'application/json' },
        body: JSON.stringify(body)
      })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data || mine !== seq) return;
          if (data.deflectionId && hidden) hidden.value = data.deflectionId;
          box.textContent = '';
          if (!data.items.length) return;
          var h = document.createElement('h2');
          h.textContent = 'These articles may help';
          box.appendChild(h);
          var list = document.createElement('div');
          box.appendChild(list);
          renderList(list, data.items, function (item) {
            return link('/portal', item, data.deflectionId ? '?d=' + encodeURIComponent(data.deflectionId) : '');
          });
          list.querySelectorAll('a').forEach(function (a) {
            a.target = '_blank';
            a.rel = 'noopener';
            a.setAttribute('aria-describedby', 'suggest-new-tab');
          });
          var note = document.createElement('p');
          note.id = 'suggest-new-tab';
          note.className = 'hint';
          note.textContent = 'Articles open in a new tab, so this form keeps what you typed.';
          box.appendChild(note);
        })
        .catch(function () { /* suggestions are optional */ });
    }, 300));
  }
})();
