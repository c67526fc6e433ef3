/* Runs between require.js and embed-amd.js on the book's pages with saved widget state
 * (`nb_ipywidgets_js` in _config.yml lists the three files in this order).
 *
 * 1. Assets. The html-manager bundle finds its files (the Font Awesome font of widget icons)
 *    next to the AMD module `@jupyter-widgets/html-manager/dist/libembed-amd`. require.js would
 *    place that module under the page's own directory (a 404 for every page); map it onto this
 *    directory, where `1551f4f60c37af51121f.woff2` is vendored.
 * 2. MathJax. The embedder typesets widget labels with the MathJax 2 call
 *    `MathJax.Hub.Queue(["Typeset", MathJax.Hub, element])`; the book loads MathJax 3, which has
 *    no `Hub`. Give it a `Hub` whose `Queue` hands the elements to MathJax 3's `typesetPromise`.
 */
(function () {
  "use strict";

  var here = new URL(".", document.currentScript.src).href.replace(/\/$/, "");
  window.requirejs.config({paths: {"@jupyter-widgets/html-manager/dist": here}});

  var hub = {
    Queue: function () {
      var elements = [], callbacks = [];
      for (var i = 0; i < arguments.length; i++) {
        var job = arguments[i];
        if (Array.isArray(job) && job[0] === "Typeset") {
          if (job[2]) elements.push(job[2]);
        } else if (typeof job === "function") {
          callbacks.push(job);
        }
      }
      var mj = window.MathJax;
      var run = function () {  // window.MathJax again: MathJax may have started meanwhile
        var now = window.MathJax;
        return elements.length && now.typesetPromise ? now.typesetPromise(elements) : undefined;
      };
      // MathJax 3's way to queue work: chain it on startup.promise.
      var done = mj.startup && mj.startup.promise
        ? (mj.startup.promise = mj.startup.promise.then(run))
        : Promise.resolve().then(run);
      done.then(function () {
        callbacks.forEach(function (f) { f(); });
      }, function (err) {
        console.error("MathJax could not typeset a widget label:", err);
      });
    }
  };

  // Before MathJax 3 runs, window.MathJax is its configuration (Sphinx writes it inline on pages
  // with math); MathJax then replaces it with its own object, which gets the hub in startup.ready.
  var config = window.MathJax;
  if (config === undefined) return;  // no math on this page: the embedder does not typeset
  if (config.version) {  // MathJax has already started
    config.Hub = config.Hub || hub;
    return;
  }
  config.Hub = hub;
  config.startup = config.startup || {};
  var ready = config.startup.ready;
  config.startup.ready = function () {
    if (ready) ready(); else window.MathJax.startup.defaultReady();
    window.MathJax.Hub = hub;
  };
})();
