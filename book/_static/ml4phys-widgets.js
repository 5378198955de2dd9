/* ml4phys static widgets: sliders over precomputed frames (see ml4phys.widgets).
 *
 * Each <div class="ml4phys-widget"> written by ml4phys.widgets.interactive_figure holds one
 * <input type="range" data-param="NAME"> per slider, an <output> per slider, one
 * <img class="ml4phys-frame"> and a <script type="application/json" class="ml4phys-frames">
 * with {params: [{name, labels, values, default}], default: "i,j", frames: {"i,j": dataURI}}.
 * Moving a slider shows the frame keyed by the slider indices joined with ",".
 * An animation (data-ml4phys-play="MS") also has a <button class="ml4phys-play">.
 * No dependencies; safe to load more than once; call window.ml4physWidgets.init() after
 * adding widgets to the page dynamically.
 */
(function () {
  "use strict";

  function bind(widget) {
    if (widget.getAttribute("data-ml4phys-ready") === "1") return;
    var script = widget.querySelector("script.ml4phys-frames");
    var img = widget.querySelector("img.ml4phys-frame");
    if (!script || !img) return;
    var data;
    try {
      data = JSON.parse(script.textContent);
    } catch (err) {
      if (window.console) console.error("ml4phys widget: bad frame data", err);
      return;
    }
    var all = widget.querySelectorAll("input[type=range][data-param]");
    var ranges = [];
    var outputs = [];
    data.params.forEach(function (param, j) {
      ranges[j] = null;
      for (var k = 0; k < all.length; k++) {
        if (all[k].getAttribute("data-param") === param.name) ranges[j] = all[k];
      }
      var row = ranges[j] && ranges[j].parentNode;
      outputs[j] = row ? row.querySelector("output") : null;
    });

    function update() {
      var key = [];
      var alt = [];
      data.params.forEach(function (param, j) {
        var i = ranges[j] ? parseInt(ranges[j].value, 10) : param["default"];
        if (isNaN(i) || i < 0 || i >= param.labels.length) i = param["default"];
        key.push(i);
        alt.push(param.name + " = " + param.labels[i]);
        if (outputs[j]) outputs[j].textContent = param.labels[i];
        if (ranges[j]) ranges[j].setAttribute("aria-valuetext", param.labels[i]);
      });
      var src = data.frames[key.join(",")];
      if (src) {
        img.src = src;
        img.alt = "Figure at " + alt.join(", ");
      }
    }

    ranges.forEach(function (input) {
      if (input) input.addEventListener("input", update);
    });
    update(); // the browser may have restored slider positions (back/forward navigation)
    bindPlay(widget, ranges[0], update);
    widget.setAttribute("data-ml4phys-ready", "1");
  }

  // Animations (ml4phys.widgets.animation): a play button steps the one slider through its
  // frames every data-ml4phys-play milliseconds, stops at the last frame, and starts again
  // from the first when pressed there.
  function bindPlay(widget, range, update) {
    var button = widget.querySelector("button.ml4phys-play");
    if (!button || !range) return;
    var timer = null;
    var last = parseInt(range.max, 10);
    function stop() {
      if (timer !== null) window.clearInterval(timer);
      timer = null;
      button.innerHTML = "&#9654;";
      button.setAttribute("aria-label", "play");
      widget.removeAttribute("data-ml4phys-playing");
    }
    function tick() {
      var i = parseInt(range.value, 10);
      if (i >= last) {
        stop();
        return;
      }
      range.value = String(i + 1);
      update();
      if (i + 1 >= last) stop();
    }
    button.addEventListener("click", function () {
      if (timer !== null) {
        stop();
        return;
      }
      if (parseInt(range.value, 10) >= last) {
        range.value = "0";
        update();
      }
      button.innerHTML = "&#10074;&#10074;";
      button.setAttribute("aria-label", "pause");
      widget.setAttribute("data-ml4phys-playing", "1");
      var interval = parseInt(widget.getAttribute("data-ml4phys-play"), 10);
      timer = window.setInterval(tick, isNaN(interval) ? 250 : interval);
    });
    range.addEventListener("input", stop);
  }

  function init() {
    var widgets = document.querySelectorAll(".ml4phys-widget[data-ml4phys-widget]");
    for (var i = 0; i < widgets.length; i++) bind(widgets[i]);
  }

  window.ml4physWidgets = { init: init };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
