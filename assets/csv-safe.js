/* CSV cells that are safe to open in a spreadsheet: the browser's half of data/csv_safe.py, with the same rule.
 * A text cell starting with = + - @, a tab or a carriage return (after any apostrophes) gets one leading
 * apostrophe (OWASP's CSV-injection guidance); plain negative numbers and numbers are left alone; a cell holding
 * a comma, quote, CR or LF is quoted. Used by every chart's "CSV" export (components/charts.py, window.nfCsv.cell)
 * and by every AG Grid's own export (components/grid.py: csvExportParams -> dashAgGridFunctions.csvSafeCell). */
(function () {
    const NEEDS_APOSTROPHE = /^'*[=+\-@\t\r]/;
    const NEGATIVE_NUMBER = /^-(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

    function neutralise(text) {
        return NEEDS_APOSTROPHE.test(text) && !NEGATIVE_NUMBER.test(text) ? "'" + text : text;
    }

    function cell(value) {
        if (value === undefined || value === null || (typeof value === "number" && !Number.isFinite(value))) {
            return "";
        }
        const text = typeof value === "object" ? JSON.stringify(value)
            : typeof value === "string" ? neutralise(value) : String(value);
        return /[",\r\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
    }

    window.nfCsv = {neutralise: neutralise, cell: cell};
    const grid = (window.dashAgGridFunctions = window.dashAgGridFunctions || {});
    // AG Grid quotes every exported value itself; these only neutralise text cells and headers.
    grid.csvSafeCell = params => (typeof params.value === "string" ? neutralise(params.value) : params.value);
    grid.csvSafeHeader = params => neutralise(String(params.api.getDisplayNameForColumn(params.column, null) || ""));
})();
