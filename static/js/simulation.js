// Live recompute of a défi's financial simulation, on the positions step of its form.
//
// The panel (#simulation, an aria-live region) names the URL of the defi_simulation view.
// When the agent changes an EIG's métier, experience or work time, the whole positions form
// is posted there (its CSRF token included) and the returned fragment replaces the panel's
// content; nothing is saved. Without this script, saving the step recomputes the panel.
(function () {
  "use strict";

  var panel = document.getElementById("simulation");
  var url = panel && panel.getAttribute("data-simulation-url");
  var form = panel && panel.closest("form");
  if (!url || !form || !window.fetch || !window.FormData) {
    return;
  }
  var SIMULATED = /^profils-\d+-(specialty|salary_band|work_time)$/;
  var latest = 0;

  function csrfToken() {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function showFailure() {
    var alert = document.createElement("div");
    alert.className = "fr-alert fr-alert--warning fr-alert--sm fr-mb-3w";
    var text = document.createElement("p");
    text.textContent =
      "La simulation n’a pas pu être mise à jour : elle le sera à l’enregistrement de la section.";
    alert.appendChild(text);
    var previous = panel.querySelector("[data-simulation-failure]");
    if (previous) {
      previous.remove();
    }
    alert.setAttribute("data-simulation-failure", "");
    panel.insertBefore(alert, panel.firstChild);
  }

  function refresh() {
    var request = ++latest;
    panel.setAttribute("aria-busy", "true");
    var body = new FormData(form);
    // The buttons' names (save, save_continue) mean nothing here; only the fields are sent.
    fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "X-Requested-With": "XMLHttpRequest" },
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.text();
      })
      .then(function (html) {
        // An older answer arriving after a newer one is dropped.
        if (request === latest) {
          panel.innerHTML = html;
        }
      })
      .catch(function () {
        if (request === latest) {
          showFailure();
        }
      })
      .finally(function () {
        if (request === latest) {
          panel.removeAttribute("aria-busy");
        }
      });
  }

  form.addEventListener("change", function (event) {
    if (event.target && SIMULATED.test(event.target.name || "")) {
      refresh();
    }
  });
})();
