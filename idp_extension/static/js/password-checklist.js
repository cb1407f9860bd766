// Ticks the password checklist while the member types. Enhancement only: the server decides.
(function () {
  "use strict";
  var SPECIAL = "!@#*$%&";
  var RULES = {
    // Same rule as security/passwords.py: code points, letters by Unicode category ("É" is
    // upper-case, "é" lower-case).
    length: function (p) { var n = Array.from(p).length; return n >= 8 && n <= 128; },
    lower: function (p) { return /\p{Ll}/u.test(p); },
    upper: function (p) { return /\p{Lu}/u.test(p); },
    digit: function (p) { return /[0-9]/.test(p); },
    special: function (p) {
      for (var i = 0; i < p.length; i++) {
        if (SPECIAL.indexOf(p.charAt(i)) !== -1) { return true; }
      }
      return false;
    }
  };

  function init() {
    var password = document.querySelector(".js-password");
    var confirm = document.querySelector(".js-password-confirm");
    var list = document.getElementById("password-rules");
    if (!password || !confirm || !list) { return; }
    var metText = list.getAttribute("data-met-text") || "";
    var unmetText = list.getAttribute("data-unmet-text") || "";
    var items = document.querySelectorAll("li[data-rule]");

    function mark(item, met) {
      item.classList.toggle("met", met);
      var state = item.querySelector(".rule-state");
      if (state) { state.textContent = " (" + (met ? metText : unmetText) + ")"; }
    }

    function update() {
      var value = password.value;
      for (var i = 0; i < items.length; i++) {
        var rule = items[i].getAttribute("data-rule");
        if (rule === "match") {
          mark(items[i], value.length > 0 && value === confirm.value);
        } else if (RULES[rule]) {
          mark(items[i], RULES[rule](value));
        }
      }
    }

    password.addEventListener("input", update);
    confirm.addEventListener("input", update);
    update();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());
