// The Data page's uploads: dcc.Upload's max_size (and accept) drop a file without a word, so a 60 MB file looked
// ignored. components/data_page.py wraps each upload in an element with data-max-bytes, data-accept and
// data-report (the id of a dcc.Store); a file that is too large or of another type is reported there, and the
// page's callback says why. The browser never reads or sends such a file.
(function () {
    'use strict';

    function accepted(name, accept) {
        const lower = name.toLowerCase();
        return !accept || accept.split(',').some(function (suffix) { return lower.endsWith(suffix.trim()); });
    }

    function check(event, files) {
        const zone = event.target && event.target.closest ? event.target.closest('[data-max-bytes]') : null;
        const clientside = window.dash_clientside;
        if (!zone || !files || !files.length || !clientside || !clientside.set_props) {
            return;
        }
        const limit = Number(zone.dataset.maxBytes);
        const file = files[0];  // the uploads take one file
        const wrongType = !accepted(file.name, zone.dataset.accept);
        if (wrongType || file.size > limit) {
            clientside.set_props(zone.dataset.report, {
                data: {filename: file.name, size: file.size, type: wrongType, at: Date.now()},
            });
        }
    }

    document.addEventListener('change', function (event) {
        if (event.target && event.target.type === 'file') {
            check(event, event.target.files);
        }
    }, true);
    document.addEventListener('drop', function (event) {
        check(event, event.dataTransfer && event.dataTransfer.files);
    }, true);
}());
