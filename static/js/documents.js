// Documents: selecting a passage of the rendered text quotes it in the comment form
// (the form works without this: the passage can be pasted by hand).
(function () {
  "use strict";
  function ready() {
    var body = document.getElementById("doc-body");
    var form = document.getElementById("comment-form");
    if (!body || !form) return;
    var quote = form.querySelector("[name=quote]");
    body.addEventListener("mouseup", take);
    body.addEventListener("keyup", take);
    function take() {
      var selection = window.getSelection();
      if (!selection || selection.isCollapsed) return;
      var range = selection.getRangeAt(0);
      if (!body.contains(range.commonAncestorContainer)) return;
      var text = selection.toString().trim();
      if (text && quote) quote.value = text.slice(0, 1000);
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();
