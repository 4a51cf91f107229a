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
