// The Mini App's login (handlers/web/login.py). Telegram puts the launch parameters in the URL
// fragment (#tgWebAppData=…&tgWebAppVersion=…); the raw initData is sent to the server, which
// checks its signature. telegram-web-app.js is not loaded: telegram.org is blocked on mainland
// networks, and reading the fragment is all the login needs.
(function () {
  "use strict";
  var status = document.getElementById("miniapp-status");

  function say(text) {
    status.textContent = text;
    status.parentNode.classList.add("error");
  }

  function initData() {
    var hash = window.location.hash.replace(/^#/, "");
    return new URLSearchParams(hash).get("tgWebAppData") || "";
  }

  var data = initData();
  if (!data) {
    say(status.getAttribute("data-outside"));
    return;
  }
  var body = new URLSearchParams();
  body.set("init_data", data);
  fetch("/login/telegram", { method: "POST", body: body, credentials: "same-origin" })
    .then(function (response) {
      return response.json().then(function (answer) {
        if (response.ok && answer.ok) {
          window.location.replace(answer.next);
        } else {
          say(answer.error || status.getAttribute("data-outside"));
        }
      });
    })
    .catch(function () {
      say(status.getAttribute("data-outside"));
    });
})();
