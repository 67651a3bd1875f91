// The kernel-free quizzes' script: feedback per answer, from data precomputed at build time.
// press/quiz/page.py's show inlines it as `(function (rootId, Q) {...})(ID, SPEC);` where SPEC has,
// per question, its kind and its answer; the explanations are HTML in the question's hidden
// div.ptc-quiz-whys (span[data-why=KEY]), their math pre-rendered with the page's. Same rule as
// press/quiz/model.py's grade.
(function (rootId, Q) {
  var root = document.getElementById(rootId);
  if (!root || root.getAttribute("data-ready") === "1") { return; }
  root.setAttribute("data-ready", "1");
  var qs = root.querySelectorAll("fieldset.ptc-quiz-q");
  function say(fs, ok, key) {  // key: the explanation's data-why, or a plain-text message
    var fb = fs.querySelector("p.ptc-quiz-feedback");
    var why = fs.querySelector('div.ptc-quiz-whys > [data-why="' + key + '"]');
    fb.setAttribute("data-verdict", ok ? "correct" : "wrong");
    fb.textContent = (ok ? "Right. " : "Not quite. ") + (why ? "" : key);
    if (why) {
      Array.prototype.forEach.call(why.childNodes, function (n) { fb.appendChild(n.cloneNode(true)); });
    }
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
          say(fs, q.correct[j], String(j));
        });
      });
    } else {
      var box = fs.querySelector("input.ptc-quiz-number");
      var check = function () {
        if (!String(box.value).trim()) { ask(fs, "Type your answer first, e.g. 2.5."); return; }
        var x = parseFloat(String(box.value).replace(",", "."));
        if (!isFinite(x)) { say(fs, false, "Type a number, e.g. 2.5."); return; }
        if (Math.abs(x - q.answer) <= q.tol) { say(fs, true, "right"); return; }
        for (var k = 0; k < q.mistakes.length; k++) {
          if (Math.abs(x - q.mistakes[k]) <= q.tol) { say(fs, false, "m" + k); return; }
        }
        say(fs, false, "hint");
      };
      fs.querySelector("button.ptc-quiz-check").addEventListener("click", check);
      box.addEventListener("keydown", function (ev) { if (ev.key === "Enter") { check(); } });
    }
  });
})
