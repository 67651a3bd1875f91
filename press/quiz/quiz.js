// The kernel-free quizzes' script: feedback per answer, from data precomputed at build time.
// press/quiz/page.py's show inlines it as `(function (rootId, Q) {...})(ID, SPEC);` where SPEC has,
// per question, its kind and its explanations. Same rule as press/quiz/model.py's grade.
(function (rootId, Q) {
  var root = document.getElementById(rootId);
  if (!root || root.getAttribute("data-ready") === "1") { return; }
  root.setAttribute("data-ready", "1");
  var qs = root.querySelectorAll("fieldset.ptc-quiz-q");
  function say(fs, ok, text) {
    var fb = fs.querySelector("p.ptc-quiz-feedback");
    fb.setAttribute("data-verdict", ok ? "correct" : "wrong");
    fb.textContent = (ok ? "Right. " : "Not quite. ") + text;
  }
  function ask(fs, text) {  // no answer yet: a prompt, never the colour of a wrong answer
    var fb = fs.querySelector("p.ptc-quiz-feedback");
    fb.setAttribute("data-verdict", "empty");
    fb.textContent = text;
  }
  Array.prototype.forEach.call(qs, function (fs, i) {
    var q = Q[i];
    if (q.kind === "choice") {
      Array.prototype.forEach.call(fs.querySelectorAll("input[type=radio]"), function (r) {
        r.addEventListener("change", function () {
          var j = parseInt(r.value, 10);
          say(fs, q.correct[j], q.why[j]);
        });
      });
    } else {
      var box = fs.querySelector("input.ptc-quiz-number");
      var check = function () {
        if (!String(box.value).trim()) { ask(fs, "Type your answer first, e.g. 2.5."); return; }
        var x = parseFloat(String(box.value).replace(",", "."));
        if (!isFinite(x)) { say(fs, false, "Type a number, e.g. 2.5."); return; }
        if (Math.abs(x - q.answer) <= q.tol) { say(fs, true, q.why); return; }
        for (var k = 0; k < q.mistakes.length; k++) {
          if (Math.abs(x - q.mistakes[k][0]) <= q.tol) { say(fs, false, q.mistakes[k][1]); return; }
        }
        say(fs, false, q.hint);
      };
      fs.querySelector("button.ptc-quiz-check").addEventListener("click", check);
      box.addEventListener("keydown", function (ev) { if (ev.key === "Enter") { check(); } });
    }
  });
})
