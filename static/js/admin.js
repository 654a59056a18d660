// Accessible names for what the admin's scripts build in the browser, without one:
// - the select2 boxes of `autocomplete_fields` are named by their field's <label> (or the
//   `aria-label` eig/admin_site.py gives inputs of tabular inlines), and so is the search
//   box of a multiple one;
// - the magnifier icons of `filter_horizontal` carry an `aria-label` that a plain <span> may
//   not have: they become images, so that the label is read.
(function () {
  "use strict";

  function fieldName(select) {
    var label = select.id && document.querySelector('label[for="' + select.id + '"]');
    if (label) {
      return label.textContent.replace(/\s*:\s*$/, "").trim();
    }
    return select.getAttribute("aria-label") || "";
  }

  function nameAutocompletes(root) {
    root.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
      var box = select.nextElementSibling;
      var name = fieldName(select);
      if (!box || !box.classList.contains("select2") || !name) {
        return;
      }
      box.querySelectorAll(".select2-selection").forEach(function (selection) {
        selection.setAttribute("aria-label", name);
        // aria-labelledby would win over aria-label: it names the box by its value alone.
        var rendered = selection.querySelector(".select2-selection__rendered");
        if (rendered && rendered.id) {
          selection.setAttribute("aria-describedby", rendered.id);
          // The value shown is text inside the box, not a second, nameless text field.
          rendered.removeAttribute("role");
          rendered.removeAttribute("aria-readonly");
        }
        selection.removeAttribute("aria-labelledby");
      });
      box.querySelectorAll(".select2-search__field").forEach(function (search) {
        search.setAttribute("aria-label", name);
      });
    });
  }

  function nameFilterIcons(root) {
    root.querySelectorAll(".search-label-icon[aria-label]").forEach(function (icon) {
      icon.setAttribute("role", "img");
    });
  }

  function fix(root) {
    nameAutocompletes(root);
    nameFilterIcons(root);
  }

  // The admin builds these widgets on "load" and on "formset:added": run just after it.
  window.addEventListener("load", function () {
    window.setTimeout(function () {
      fix(document);
    });
  });
  document.addEventListener("formset:added", function (event) {
    window.setTimeout(function () {
      fix(event.target);
    });
  });
})();
