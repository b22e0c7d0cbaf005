// A scan larger than its field takes is refused as soon as it is chosen, beside the field, and is not
// sent: the server would refuse it only after the whole file had gone over the kiosk's link, and a file
// past the site's limit (EMITRA_MAX_REQUEST_MB) would lose the form. Without JavaScript the server says
// the same under the field once the form is sent (core/documents.too_large).
// A size in the unit of the field's limit (data-size-unit), rounded up to the last digit shown, as
// core/documents.size_text writes it: "3,073 KB", "3.1 MB", "2 MB".
function sizeText(bytes, unit) {
  if (unit === "MB") {
    var tenths = Math.ceil(bytes * 10 / 1048576);
    return Math.floor(tenths / 10).toLocaleString("en-US") + (tenths % 10 ? "." + (tenths % 10) : "") + " MB";
  }
  return Math.ceil(bytes / 1024).toLocaleString("en-US") + " KB";
}

document.querySelectorAll("input[type=file][data-max-bytes]").forEach(function (input) {
  var field = input.closest(".field");
  var note = document.createElement("p");
  note.className = "error";
  note.id = input.id + "-too-large";
  note.setAttribute("role", "alert");
  note.hidden = true;
  input.insertAdjacentElement("afterend", note);
  input.addEventListener("change", function () {
    var file = input.files && input.files[0];
    var tooLarge = file && file.size > parseInt(input.dataset.maxBytes, 10);
    note.hidden = !tooLarge;
    if (field) field.classList.toggle("has-error", Boolean(tooLarge));
    if (tooLarge) {
      note.textContent = input.dataset.tooLarge.replace("{size}", sizeText(file.size, input.dataset.sizeUnit));
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", note.id);
      input.value = "";  // not sent: choose a smaller scan
    } else {
      input.removeAttribute("aria-invalid");
      input.removeAttribute("aria-describedby");
    }
  });
});
