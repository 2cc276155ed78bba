// The absence entry grid: one click on a cell prepares a lateness at that slot; a second
// click on the same student's line turns it into an absence from the first cell to the
// second. The form below the grid is filled in; nothing is saved until it is submitted.
//
// From the keyboard the grid is one tab stop (the ARIA grid pattern, roving tabindex): the
// arrow keys, Home and End (with Ctrl: the first and last cells of the grid), Page Up and
// Page Down move the cursor; Enter or Space chooses the cell under it, as a click does, but
// the focus stays in the grid; Escape forgets a first cell. A chosen cell is aria-selected
// and marked by a check and a thick frame, and a status line says what has been chosen.
// Without script, the grid is a table whose cells are links to the form filled with them.
(function () {
  "use strict";
  var grid = document.getElementById("grille");
  if (!grid || !grid.tBodies.length) {
    return;
  }
  var form = document.getElementById("saisie");
  var status = document.getElementById("grille-choix");
  var PAGE_ROWS = 5;
  var matrix = Array.prototype.map.call(grid.tBodies[0].rows, function (row) {
    return Array.prototype.slice.call(row.cells);
  });
  var active = null;
  var first = null;

  // The element that takes the focus for a cell: the student's link in a row header, the
  // cell itself elsewhere (its link, if any, is only for the mouse and for no script).
  function target(cell) {
    if (cell.tagName === "TH") {
      return cell.querySelector("a") || cell;
    }
    return cell;
  }

  function choosable(cell) {
    return cell.querySelector("a.sconet-cell__link");
  }

  function locate(element) {
    var cell = element && element.closest ? element.closest("td, th") : null;
    if (!cell || !grid.tBodies[0].contains(cell)) {
      return null;
    }
    var row = cell.parentElement.sectionRowIndex;
    return { row: row, column: matrix[row].indexOf(cell) };
  }

  function activate(cell) {
    if (active === cell) {
      return;
    }
    if (active) {
      target(active).setAttribute("tabindex", "-1");
    }
    active = cell;
    target(cell).setAttribute("tabindex", "0");
  }

  function moveTo(row, column) {
    row = Math.max(0, Math.min(matrix.length - 1, row));
    column = Math.max(0, Math.min(matrix[row].length - 1, column));
    var cell = matrix[row][column];
    activate(cell);
    target(cell).focus();
  }

  grid.setAttribute("role", "grid");
  matrix.forEach(function (cells) {
    cells.forEach(function (cell) {
      target(cell).setAttribute("tabindex", "-1");
      var link = choosable(cell);
      if (link) {
        link.setAttribute("tabindex", "-1");
        if (form) {
          cell.setAttribute("aria-selected", "false");
        }
      }
    });
  });
  if (form) {
    grid.setAttribute("aria-multiselectable", "true");
  }
  activate(matrix[0][Math.min(1, matrix[0].length - 1)]);

  grid.addEventListener("focusin", function (event) {
    var place = locate(event.target);
    if (place) {
      activate(matrix[place.row][place.column]);
    }
  });

  grid.addEventListener("keydown", function (event) {
    var place = locate(event.target);
    if (!place || event.altKey || event.metaKey) {
      return;
    }
    var row = place.row;
    var column = place.column;
    var last = matrix[row].length - 1;
    switch (event.key) {
      case "ArrowRight":
        moveTo(row, column + 1);
        break;
      case "ArrowLeft":
        moveTo(row, column - 1);
        break;
      case "ArrowDown":
        moveTo(row + 1, column);
        break;
      case "ArrowUp":
        moveTo(row - 1, column);
        break;
      case "PageDown":
        moveTo(row + PAGE_ROWS, column);
        break;
      case "PageUp":
        moveTo(row - PAGE_ROWS, column);
        break;
      case "Home":
        if (event.ctrlKey) {
          moveTo(0, 0);
        } else {
          moveTo(row, 0);
        }
        break;
      case "End":
        if (event.ctrlKey) {
          moveTo(matrix.length - 1, last);
        } else {
          moveTo(row, last);
        }
        break;
      case "Enter":
      case " ":
        var link = choosable(matrix[row][column]);
        if (event.key === "Enter" && !link) {
          return; // the student's link in a row header opens the student's absences
        }
        if (link && form) {
          choose(link, false);
        }
        break;
      case "Escape":
        if (!form || first === null) {
          return;
        }
        clearMarks();
        first = null;
        say("Choix annulé.");
        break;
      default:
        return;
    }
    event.preventDefault();
  });

  // "Revenir à la grille" puts the focus back on the grid's cursor.
  var back = document.getElementById("vers-grille");
  if (back) {
    back.addEventListener("click", function (event) {
      event.preventDefault();
      target(active).focus();
    });
  }

  if (!form) {
    return;
  }

  function field(name) {
    return form.elements.namedItem(name);
  }

  function say(message) {
    if (status) {
      status.textContent = message;
    }
  }

  function clearMarks() {
    grid.querySelectorAll(".sconet-cell--chosen").forEach(function (cell) {
      cell.classList.remove("sconet-cell--chosen");
      cell.setAttribute("aria-selected", "false");
    });
  }

  function markRange(student, low, high) {
    grid.querySelectorAll('a.sconet-cell__link[data-student="' + student + '"]').forEach(function (link) {
      var order = Number(link.dataset.order);
      if (order >= low && order <= high) {
        link.parentElement.classList.add("sconet-cell--chosen");
        link.parentElement.setAttribute("aria-selected", "true");
      }
    });
  }

  function setNature(value) {
    var radio = form.querySelector('input[name="nature"][value="' + value + '"]');
    if (radio) {
      radio.checked = true;
    }
  }

  // A cell's title is "Student — Weekday dd/mm slot": the part after the student's name.
  function when(title) {
    var cut = title.lastIndexOf(" — ");
    return cut < 0 ? title : title.slice(cut + 3);
  }

  function studentName(student) {
    var header = grid.querySelector('tr[data-student="' + student + '"] th');
    return header ? header.textContent.trim() : "";
  }

  // A click moves the focus to the form field to complete next; Enter or Space in the grid
  // leaves it on the grid (the form is the next tab stop after the grid).
  function choose(link, toForm) {
    var cell = {
      student: link.dataset.student,
      day: link.dataset.day,
      slot: link.dataset.slot,
      order: Number(link.dataset.order),
      when: when(link.parentElement.getAttribute("title") || "")
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
      say(
        "Retard préparé pour " + studentName(cell.student) + " : " + cell.when + ". Choisissez " +
          "un second créneau sur la même ligne pour une absence, ou complétez le formulaire."
      );
      if (toForm) {
        field("minutes").focus();
      }
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
    say(
      "Absence préparée pour " + studentName(cell.student) + " : du " + start.when + " au " +
        end.when + ". Complétez le formulaire et enregistrez."
    );
    if (toForm) {
      field("motif").focus();
    }
  }

  grid.addEventListener("click", function (event) {
    var link = event.target.closest("a.sconet-cell__link");
    if (!link) {
      return;
    }
    event.preventDefault();
    activate(link.parentElement);
    // detail is 0 when the click does not come from a pointer (a screen reader's activation).
    choose(link, event.detail > 0);
  });
})();
