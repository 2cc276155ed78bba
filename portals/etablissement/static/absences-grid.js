// The absence entry grid: one click on a cell prepares a lateness at that slot; a second
// click on the same student's line turns it into an absence from the first cell to the
// second. The form below the grid is filled in; nothing is saved until it is submitted.
(function () {
  "use strict";
  var grid = document.getElementById("grille");
  var form = document.getElementById("saisie");
  if (!grid || !form) {
    return;
  }
  var first = null;

  function field(name) {
    return form.elements.namedItem(name);
  }

  function clearMarks() {
    grid.querySelectorAll(".sconet-cell--chosen").forEach(function (cell) {
      cell.classList.remove("sconet-cell--chosen");
    });
  }

  function markRange(student, low, high) {
    grid.querySelectorAll('a.sconet-cell__link[data-student="' + student + '"]').forEach(function (link) {
      var order = Number(link.dataset.order);
      if (order >= low && order <= high) {
        link.parentElement.classList.add("sconet-cell--chosen");
      }
    });
  }

  function setNature(value) {
    var radio = form.querySelector('input[name="nature"][value="' + value + '"]');
    if (radio) {
      radio.checked = true;
    }
  }

  function choose(link) {
    var cell = {
      student: link.dataset.student,
      day: link.dataset.day,
      slot: link.dataset.slot,
      order: Number(link.dataset.order)
    };
    clearMarks();
    field("eleve").value = cell.student;
    if (first === null || first.student !== cell.student) {
      first = cell;
      setNature("retard");
      field("debut_jour").value = cell.day;
      field("debut_creneau").value = cell.slot;
      field("fin_jour").value = cell.day;
      field("fin_creneau").value = cell.slot;
      markRange(cell.student, cell.order, cell.order);
      field("minutes").focus();
      return;
    }
    var start = first.order <= cell.order ? first : cell;
    var end = first.order <= cell.order ? cell : first;
    setNature("absence");
    field("debut_jour").value = start.day;
    field("debut_creneau").value = start.slot;
    field("fin_jour").value = end.day;
    field("fin_creneau").value = end.slot;
    field("minutes").value = "";
    markRange(cell.student, start.order, end.order);
    first = null;
    field("motif").focus();
  }

  grid.addEventListener("click", function (event) {
    var link = event.target.closest("a.sconet-cell__link");
    if (!link) {
      return;
    }
    event.preventDefault();
    choose(link);
  });
})();
