// The quizzes (machinery/src/quiz.rs renders them): choose, Check, right or wrong with the
// explanation of every wrong choice chosen, "Show the run" reveals the output that decides
// the answer. Progress stays in this browser (localStorage), nothing is sent anywhere.
// Every control is a real button or input: the keyboard works as for any form.
(() => {
  const KEY = "book-quiz-progress";
  const load = () => {
    try {
      return JSON.parse(localStorage.getItem(KEY) || "{}");
    } catch (_) {
      return {};
    }
  };
  const save = (progress) => {
    try {
      localStorage.setItem(KEY, JSON.stringify(progress));
    } catch (_) {
      // Storage refused (private mode, quota): the quiz works, without memory.
    }
  };
  const norm = (text) => text.trim().replace(/^`+|`+$/g, "").trim().toLowerCase();

  const judge = (quiz) => {
    const input = quiz.querySelector(".quiz-input");
    if (input) {
      const answers = JSON.parse(input.dataset.answers || "[]").map(norm);
      return { answered: input.value.trim() !== "", right: answers.includes(norm(input.value)), wrong: [] };
    }
    const choices = [...quiz.querySelectorAll(".quiz-choice")];
    const chosen = choices.filter((c) => c.querySelector("input").checked);
    const wrong = chosen.filter((c) => c.dataset.right !== "true");
    const missed = choices.filter((c) => c.dataset.right === "true" && !c.querySelector("input").checked);
    return { answered: chosen.length > 0, right: wrong.length === 0 && missed.length === 0, wrong };
  };

  const check = (quiz) => {
    const result = quiz.querySelector(".quiz-result");
    const verdict = judge(quiz);
    quiz.querySelectorAll(".quiz-why").forEach((why) => { why.hidden = true; });
    quiz.classList.remove("quiz-is-right", "quiz-is-wrong");
    if (!verdict.answered) {
      result.textContent = "Choose an answer first.";
      return;
    }
    verdict.wrong.forEach((choice) => {
      const why = choice.querySelector(".quiz-why");
      if (why) why.hidden = false;
    });
    quiz.classList.add(verdict.right ? "quiz-is-right" : "quiz-is-wrong");
    result.textContent = verdict.right
      ? "Right."
      : verdict.wrong.length > 0
        ? "Not quite: see why under each wrong choice."
        : "Not quite: some right choices are missing.";
    const context = quiz.querySelector(".quiz-context");
    if (context && verdict.right) context.hidden = false;
    const progress = load();
    progress[quiz.dataset.quiz] = verdict.right ? "right" : "wrong";
    save(progress);
  };

  const show = (quiz, button) => {
    const reveal = quiz.querySelector(".quiz-reveal");
    reveal.hidden = !reveal.hidden;
    button.setAttribute("aria-expanded", String(!reveal.hidden));
    button.textContent = reveal.hidden ? "Show the run" : "Hide the run";
    const context = quiz.querySelector(".quiz-context");
    if (context && !reveal.hidden) context.hidden = false;
  };

  // Predict first: a listing that a question is about has its output and claims covered
  // until one of its questions is checked or revealed, or the reader uncovers it. Without
  // scripts, and in print, nothing is covered.
  const uncover = (figure) => {
    if (!figure || !figure.classList.contains("quiz-covered")) return;
    figure.classList.remove("quiz-covered");
    const cover = figure.querySelector(".quiz-cover");
    if (cover) cover.remove();
  };
  const covered = (quiz) => document.getElementById(quiz.dataset.covers || "");

  document.addEventListener("click", (e) => {
    const target = e.target instanceof Element ? e.target : null;
    const unveil = target ? target.closest(".quiz-uncover") : null;
    if (unveil) {
      uncover(unveil.closest("figure.listing"));
      return;
    }
    const button = target ? target.closest(".quiz button") : null;
    if (!button) return;
    const quiz = button.closest(".quiz");
    if (button.classList.contains("quiz-check")) check(quiz);
    if (button.classList.contains("quiz-show")) show(quiz, button);
    if (judge(quiz).answered || button.classList.contains("quiz-show")) uncover(covered(quiz));
  });
  document.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && e.target instanceof HTMLInputElement && e.target.classList.contains("quiz-input")) {
      e.preventDefault();
      check(e.target.closest(".quiz"));
    }
  });

  // What was answered before, marked (answers themselves are not kept).
  const progress = load();
  document.querySelectorAll(".quiz").forEach((quiz) => {
    const state = progress[quiz.dataset.quiz];
    if (state) quiz.dataset.before = state;
    const figure = covered(quiz);
    if (state || !figure || figure.classList.contains("quiz-covered")) return;
    figure.classList.add("quiz-covered");
    const cover = document.createElement("p");
    cover.className = "quiz-cover";
    const title = quiz.querySelector(".quiz-title");
    cover.append(`Predict first: ${title ? title.textContent : "the quiz"} below asks what this run shows. `);
    const button = document.createElement("button");
    button.type = "button";
    button.className = "quiz-uncover";
    button.textContent = "Show the output now";
    cover.append(button);
    figure.append(cover);
  });
})();
