// The records page's uploads, resumable (client/http/resumable.ts): each file chosen goes up through
// tus (tus-js-client, loaded before this) in pieces, one file after the other, with its progress
// shown. A dropped connection is retried from where the server says it stopped; after a reload, the
// same file sent again goes on from there too (tus-js-client keeps the upload's address in this
// browser's storage). Without tus, or without scripts, the form posts as it always did: so this only
// takes over the submit event once it knows it can. The words are the page's (data-* on the form).
(function () {
  'use strict';
  var form = document.getElementById('records-form');
  var tus = window.tus;
  if (!form || !tus || !tus.isSupported || !window.Promise) return;

  var input = form.querySelector('input[type=file]');
  var select = form.querySelector('select[name=documentType]');
  var button = form.querySelector('button[type=submit]');
  var list = document.getElementById('upload-progress');
  var endpoint = window.location.pathname.replace(/\/$/, '') + '/tus';
  var percent = new Intl.NumberFormat(document.documentElement.lang || undefined, { style: 'percent' });

  function say(key, name, value) {
    // Functions, not strings, as replacements: a file name may hold "$&".
    return (form.getAttribute('data-' + key) || '')
      .replace('{name}', function () {
        return name;
      })
      .replace('{percent}', function () {
        return value || '';
      });
  }

  /** What to tell the family about a failed file, from the server's answer (resumable.ts). */
  function problem(error, name) {
    var res = error && error.originalResponse;
    var status = res ? res.getStatus() : 0;
    var reason = res ? String(res.getBody() || '').trim() : '';
    if (status === 415 || reason === 'type') return say('problem-type', name);
    if (status === 413) return say(reason === 'case_full' ? 'problem-case-full' : 'problem-too-large', name);
    if (reason === 'empty') return say('problem-empty', name);
    if (status === 503) return say('problem-unavailable', name);
    return say('interrupted', name);
  }

  /** Sends one file; resolves true once it has arrived, false when it could not. */
  function send(file, documentType) {
    var row = document.createElement('li');
    var text = document.createElement('span');
    var bar = document.createElement('progress');
    bar.max = 100;
    bar.value = 0;
    text.textContent = say('sending', file.name, percent.format(0));
    row.appendChild(text);
    row.appendChild(bar);
    list.appendChild(row);
    return new Promise(function (resolve) {
      var upload = new tus.Upload(file, {
        endpoint: endpoint,
        // Pieces small enough to finish over a weak connection; a piece cut off is kept up to where it stopped.
        chunkSize: 16 * 1024 * 1024,
        retryDelays: [0, 1000, 3000, 5000, 10000, 20000, 30000, 60000],
        removeFingerprintOnSuccess: true,
        metadata: { filename: file.name, documentType: documentType },
        onProgress: function (sent, total) {
          var done = total ? sent / total : 1;
          bar.value = Math.floor(done * 100);
          text.textContent = say('sending', file.name, percent.format(done));
        },
        onSuccess: function () {
          bar.value = 100;
          text.textContent = say('arrived', file.name);
          resolve(true);
        },
        onError: function (error) {
          var res = error && error.originalResponse;
          // The link expired, the case closed or consent was withdrawn meanwhile: the page says which.
          if (res && /^(invalid|expired|closed|consent)$/.test(String(res.getBody() || '').trim())) {
            window.location.reload();
            return;
          }
          row.removeChild(bar);
          text.textContent = problem(error, file.name);
          row.setAttribute('role', 'alert');
          resolve(false);
        },
      });
      upload.findPreviousUploads().then(
        function (previous) {
          if (previous.length) upload.resumeFromPreviousUpload(previous[0]);
          upload.start();
        },
        function () {
          upload.start();
        },
      );
    });
  }

  form.addEventListener('submit', function (event) {
    var files = Array.prototype.slice.call(input.files || []);
    // Nothing chosen: the server's page says what is missing, as without scripts.
    if (!files.length || !select.value) return;
    event.preventDefault();
    button.disabled = true;
    list.textContent = '';
    var documentType = select.value;
    var allArrived = true;
    files
      .reduce(function (previous, file) {
        return previous.then(function () {
          return send(file, documentType).then(function (ok) {
            allArrived = allArrived && ok;
          });
        });
      }, Promise.resolve())
      .then(function () {
        button.disabled = false;
        input.value = '';
        // The page the form leads to once files have come (records.ts), unless one needs the family's attention.
        if (allArrived) window.location.assign(window.location.pathname + '?sent=' + files.length);
      });
  });
})();
