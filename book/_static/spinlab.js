/* Click a figure to enlarge it (spinlab.css styles the viewer). No library, no network.
 *
 * Every image of a page's article is zoomable, also those a widget draws later: clicks are
 * caught on the document. In the viewer a figure larger than the window is first fitted to
 * it; a click shows it at full size (scroll to pan), a click outside it or Escape closes. */
(function () {
  "use strict";

  var MIN_SIZE = 64;  // px: icons and badges are not figures

  function zoomable(img) {
    return img && img.closest(".bd-article") && !img.closest("a, .spinlab-lightbox") &&
      (img.naturalWidth || 0) >= MIN_SIZE;
  }

  function mark(root) {
    root.querySelectorAll(".bd-article img").forEach(function (img) {
      var set = function () {
        if (!zoomable(img) || img.classList.contains("spinlab-zoomable")) return;
        img.classList.add("spinlab-zoomable");
        img.tabIndex = 0;
        img.setAttribute("role", "button");
        img.title = img.title || "Click to enlarge";
      };
      if (img.complete) set(); else img.addEventListener("load", set, {once: true});
    });
  }

  var opener = null;

  function close() {
    var box = document.querySelector(".spinlab-lightbox");
    if (box) box.remove();
    document.removeEventListener("keydown", onKey, true);
    if (opener) opener.focus({preventScroll: true});
    opener = null;
  }

  function onKey(event) {
    if (event.key === "Escape") {
      event.preventDefault();
      close();
    }
  }

  function open(img) {
    close();
    opener = img;
    var box = document.createElement("div");
    box.className = "spinlab-lightbox";
    box.setAttribute("role", "dialog");
    box.setAttribute("aria-label", "Enlarged figure (Escape closes)");
    var big = document.createElement("img");
    big.src = img.currentSrc || img.src;
    big.alt = img.alt || "";
    box.appendChild(big);
    var hint = document.createElement("div");
    hint.className = "spinlab-lightbox-hint";
    box.appendChild(hint);
    var fits = function () {
      return big.naturalWidth <= box.clientWidth && big.naturalHeight <= box.clientHeight;
    };
    var label = function () {
      hint.textContent = fits() ? "click or Esc to close"
        : box.classList.contains("spinlab-actual-size") ? "full size: click to close"
        : "fitted to the window: click the figure for full size, outside or Esc to close";
    };
    big.addEventListener("load", label);
    box.addEventListener("click", function (event) {
      if (event.target === big && !fits() && !box.classList.contains("spinlab-actual-size")) {
        box.classList.add("spinlab-actual-size");
        label();
      } else {
        close();
      }
    });
    document.body.appendChild(box);
    document.addEventListener("keydown", onKey, true);
    label();
    box.tabIndex = -1;
    box.focus({preventScroll: true});
  }

  document.addEventListener("click", function (event) {
    var img = event.target.closest && event.target.closest("img");
    if (zoomable(img)) {
      event.preventDefault();
      open(img);
    }
  });

  document.addEventListener("keydown", function (event) {
    var img = event.target;
    if ((event.key === "Enter" || event.key === " ") && img.tagName === "IMG" && zoomable(img)) {
      event.preventDefault();
      open(img);
    }
  });

  var start = function () {
    mark(document);
    // Widgets and MathJax add images after load: mark them as they come.
    var article = document.querySelector(".bd-article");
    if (article && window.MutationObserver) {
      new MutationObserver(function () { mark(document); })
        .observe(article, {childList: true, subtree: true});
    }
  };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
