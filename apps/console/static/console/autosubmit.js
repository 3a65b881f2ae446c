// Filters that act as soon as they change, without inline handlers (the Content-Security-
// Policy refuses those): <select data-submit-on-change> submits its form, <select
// data-go-on-change> opens the URL its chosen option holds.
document.addEventListener("change", function (event) {
  var field = event.target;
  if (field.matches("[data-submit-on-change]") && field.form) {
    field.form.requestSubmit ? field.form.requestSubmit() : field.form.submit();
  } else if (field.matches("[data-go-on-change]") && field.value) {
    window.location.assign(field.value);
  }
});
