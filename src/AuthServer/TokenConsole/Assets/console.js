// The token console's only script. Everything works without it: forms post to the server,
// which asks for confirmation on a page of its own, and times read in UTC.
(function () {
  'use strict';

  // Times: the server renders <time datetime="...Z">... UTC</time>; show them in the viewer's zone.
  document.querySelectorAll('time[datetime]').forEach(function (time) {
    var date = new Date(time.getAttribute('datetime'));
    if (!isNaN(date.getTime())) {
      time.title = time.textContent;
      time.textContent = date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
    }
  });

  // "Revoke selected": a modal dialog says how many tokens of which organisations, and
  // "Revoke" posts the form as confirmed; "Cancel" (or Escape) changes nothing.
  var form = document.getElementById('revoke-form');
  var dialog = document.getElementById('revoke-dialog');
  if (!form || !dialog || typeof dialog.showModal !== 'function') {
    return;
  }

  var text = document.getElementById('revoke-dialog-text');
  var confirm = document.getElementById('revoke-confirm');
  var cancel = document.getElementById('revoke-cancel');
  var opener = null;

  form.addEventListener('submit', function (event) {
    if (form.dataset.confirmed === 'yes') {
      return;
    }
    var boxes = Array.prototype.filter.call(form.querySelectorAll('input[name="ids"]'), function (box) { return box.checked; });
    if (boxes.length === 0) {
      return; // The server answers with "select at least one token".
    }
    event.preventDefault();
    var names = [];
    boxes.forEach(function (box) {
      var name = box.getAttribute('data-organisation-name');
      if (names.indexOf(name) < 0) { names.push(name); }
    });
    text.textContent = 'Revoke ' + boxes.length + (boxes.length === 1 ? ' token' : ' tokens') + ' of ' + names.join(', ') +
      '? The holders lose access at once. This cannot be undone.';
    opener = event.submitter || document.activeElement;
    dialog.showModal();
    cancel.focus();
  });

  confirm.addEventListener('click', function () {
    var field = document.createElement('input');
    field.type = 'hidden';
    field.name = 'confirmed';
    field.value = 'yes';
    form.appendChild(field);
    form.dataset.confirmed = 'yes';
    dialog.close();
    form.submit();
  });

  cancel.addEventListener('click', function () { dialog.close(); });
  dialog.addEventListener('close', function () {
    if (form.dataset.confirmed !== 'yes' && opener && opener.focus) { opener.focus(); }
  });
}());
