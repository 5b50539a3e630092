"""The study assistant in the browser. Run with `study ui` (or `streamlit run ui/app.py`).

Thin by design: settings come from the server's environment; the sidebar only chooses
among what the operator configured; everything else is a call into `assistant`. Each
browser session is one learner: its own chat, its own profile, its own progress file.
"""

from __future__ import annotations

import time
from contextlib import closing

import streamlit as st

from assistant.answering.answer import Answer, Chat, check_question
from assistant.core import wording
from assistant.core.errors import StudyError
from assistant.core.modes import AnswerMode, Backend, answer_mode_for
from assistant.core.settings import Settings, load_settings
from assistant.llm.gate import watched_by
from ui.access import bind_problem, password_ok
from ui.chats import chat_list, open_chat, saver, verdict
from ui.choices import model_choices
from ui.learner import learner
from ui.mastery import mastery_page
from ui.practice import practice_page
from ui.render import (
    answer_markdown, busy_text, card_label, coverage_badge, error_markdown, guide_text_markdown, input_notes,
)
from ui.resources import (
    address_of, assistant_for, backend_problem, chats_for, coach_for, llm_for, retriever_for,
)

REPEAT_WINDOW = 3.0  # seconds after its answer: the same question sent again this soon is a double submit


def show_error(text: str, settings: Settings | None, where=st) -> None:
    """Any error text (ours, a backend's, a server's) rendered safely, in one block."""
    keep = () if settings is None else tuple(a for a in (settings.ollama_host, settings.openai_base_url) if "@" not in a)
    where.error(error_markdown(text, keep), icon=":material/error:")


# -- who may come in --------------------------------------------------------------
def admitted(settings: Settings) -> bool:
    """False when this session must not see the app (yet): a non-loopback bind without a
    password or an explicit opt-out is refused; with a password, the session logs in once."""
    password = settings.ui_password.get_secret_value() if settings.ui_password else None
    problem = bind_problem(st.get_option("server.address"), password, settings.ui_insecure_no_auth)
    if problem is not None:
        show_error(str(problem), None)
        return False
    if password is None or st.session_state.get("authenticated"):
        return True
    with st.form("login"):
        given = st.text_input("Password", type="password", key="login_password")
        entered = st.form_submit_button("Enter", type="primary")
    if entered:
        if password_ok(given, password):
            st.session_state.authenticated = True  # this browser session only
            st.rerun()
        time.sleep(1)  # each wrong guess costs a second
        st.error("Wrong password: ask whoever runs this server for it.", icon=":material/lock:")
    return False


# -- sidebar ------------------------------------------------------------------------
# Who writes the chat's answers: (the sidebar's label, what it means, said under it).
MODES = {
    AnswerMode.GROUNDED: ("Guide's lines", "The guide's own lines, chosen in code: no model, nothing invented."),
    AnswerMode.HYBRID: ("Guide + model", "The guide's lines plus one model sentence, checked against its source."),
    AnswerMode.GENERATIVE: ("Model's words", "A model writes; each sentence is checked against the question it cites."),
}


def sidebar(base: Settings, retriever) -> tuple[Settings, str]:
    """View, answer mode, model (only where the mode calls one; from the configured list),
    top-k, section, learner; the settings for this run."""
    sb = st.sidebar
    view = sb.radio("View", ["Chat", "Practice", "Mastery", "Browse the guide"], key="view", horizontal=True)
    modes = [m.value for m in MODES]
    choices = model_choices(base)
    # "auto" is decided in answer_mode_for, once, for the operator's first offered model.
    configured = answer_mode_for(base.answer_mode, choices[0].backend)
    mode = AnswerMode(sb.radio("Answers", modes, index=modes.index(configured.value), key="answer_mode",
                               format_func=lambda m: MODES[AnswerMode(m)][0], horizontal=True))
    sb.caption(MODES[mode][1])
    index = 0  # grounded answers call no model: the first configured one is kept for "Coach me"
    if mode is not AnswerMode.GROUNDED:
        index = sb.selectbox("Model", range(len(choices)), format_func=lambda i: choices[i].label, key="model_choice")
    choice = choices[index if index is not None and 0 <= index < len(choices) else 0]
    top_k = sb.slider("Questions to retrieve (top-k)", 1, max(10, base.top_k), base.top_k, key="top_k")
    sections = ["All sections", *retriever.index.sections]
    section = sb.selectbox("Section", sections, key="section")
    st.session_state.section_filter = None if section == sections[0] else section
    profile = learner(base)
    update = {"llm_backend": choice.backend, "llm_model": choice.model, "top_k": top_k, "profile": profile,
              "answer_mode": mode}
    return base.model_copy(update=update), view


def status_line(settings: Settings, retriever, llm) -> None:
    indexed = f"{len(retriever.index.chunks)} questions indexed"
    if answer_mode_for(settings.answer_mode, settings.llm_backend) is AnswerMode.GROUNDED:
        st.sidebar.caption(f"{indexed} · answers from the guide's lines, no model")
        return  # no model answers, so no server is probed
    problem = None if settings.llm_backend == Backend.EMBEDDED else backend_problem(
        settings.llm_backend, settings.llm_model, address_of(settings), llm
    )
    reach = "ready" if problem is None else "not reachable"
    st.sidebar.caption(f"{indexed} · {llm.name} · {reach}")
    if problem:
        show_error(problem, settings, st.sidebar)


# -- chat -----------------------------------------------------------------------------
def show_answer(answer: Answer, key: str, settings: Settings, coach=None) -> None:
    if badge := coverage_badge(answer.coverage, answer.refused):
        st.markdown(badge)
    st.markdown(answer_markdown(answer.answer))
    if answer.stopped:
        st.caption(wording.STOPPED)
    elif answer.error:
        show_error(answer.error, settings)
        if answer.answer:
            st.caption(wording.INCOMPLETE)
    if answer.removed_sentences:
        # What the model wrote that failed the checks: never shown as the answer, listed as
        # plain text (never rendered) so the learner can see what was held back and why.
        with st.expander(f"{len(answer.removed_sentences)} sentence(s) removed: the guide does not say this",
                         icon=":material/report:"):
            for removed in answer.removed_sentences:
                st.text(f"{removed['sentence']}\n  ({removed['reason']})")
    if answer.fell_back:
        st.caption(wording.FELL_BACK)
    elif answer.completed_from_guide:
        st.caption(wording.COMPLETED)
    cited = set(answer.citations)
    for hit in answer.sources:
        c = hit.chunk
        if answer.refused or c.number in cited:
            with st.expander(card_label(c.number, c.title, c.section), icon=":material/menu_book:"):
                st.markdown(guide_text_markdown(c.text))
                if coach is not None and st.button("Practice this question", key=f"{key}_practice_{c.number}",
                                                   icon=":material/school:"):
                    coach.schedule(c.number)
                    st.toast(f"Q{c.number} is first in your practice queue.")


def on_submit() -> None:
    """Runs before the script when a question is sent: a question that cannot be asked goes
    back into the box (nothing typed is lost); the same question twice in a row, at once,
    is asked once."""
    state = st.session_state
    typed = state.get("question") or ""
    state.input_messages = []
    try:
        question = check_question(typed)
    except StudyError as err:
        state.input_error = str(err)
        state.question = typed  # shown in the box again, not sent
        return
    last = state.get("last_answered")
    if last and last[0] == question and time.monotonic() - last[1] < REPEAT_WINDOW:
        state.input_messages = ["You sent the same question twice: it is answered once."]
        state.question = ""  # not sent again
        return
    state.input_messages = input_notes(typed)


def ask(chat: Chat, question: str, settings: Settings, coach, chats=None) -> None:
    """Stream one answer. However the run ends (answer, Stop, a new question, another
    view), `Chat` keeps the turn: the question, and whatever text was already shown."""
    question = check_question(question)  # on_submit checked it: this only strips it
    with st.chat_message("user"):
        st.text(question)  # the learner's words, shown as typed: never rendered as Markdown
    with st.chat_message("assistant"):
        stop = st.empty()
        stop.button("Stop", key="stop_answer", icon=":material/stop_circle:")  # its click reruns: see finally
        placeholder, busy = st.empty(), st.empty()
        text, beat = "", [0.0]

        def waiting(ahead: int) -> None:
            busy.info(busy_text(ahead), icon=":material/hourglass_top:")

        def token() -> None:
            # A Streamlit call is where a Stop click lands; the model's tokens come faster
            # than the checked sentences shown, so give it one about ten times a second.
            if time.monotonic() - beat[0] > 0.1:
                beat[0] = time.monotonic()
                busy.empty()

        try:
            with watched_by(waiting, token), \
                    closing(chat.ask_stream(question, st.session_state.get("section_filter"))) as items:
                for item in items:
                    busy.empty()
                    if isinstance(item, Answer):
                        st.session_state.last_answered = (question, time.monotonic())
                        stop.empty()
                        placeholder.empty()
                        show_answer(item, f"turn{len(chat.turns) - 1}", settings, coach)
                        verdict(chats, st.session_state.get("chat_id"), (st.session_state.get("seqs") or [None])[-1])
                    else:
                        text += item
                        placeholder.markdown(answer_markdown(text) + " ▌")
        except StudyError as err:  # e.g. the prompt cannot be built: said in one line (Chat kept the turn)
            stop.empty()
            show_error(str(err), settings)


def chat_page(settings: Settings, retriever, llm, coach, chats) -> None:
    state = st.session_state
    chat_id = open_chat(chats, retriever.index)
    key = (settings.llm_backend, settings.llm_model, address_of(settings), settings.top_k,
           answer_mode_for(settings.answer_mode, settings.llm_backend), str(settings.index_dir), settings.chroma_url)
    chat = Chat(assistant_for(key, settings, llm, retriever), on_turn=saver(chats) if chats else None)
    chat.turns = state.turns  # this browser session's history, nobody else's
    for i, turn in enumerate(chat.turns):
        with st.chat_message("user"):
            st.text(turn.question)
        with st.chat_message("assistant"):
            show_answer(turn.answer, f"turn{i}", settings, coach)
            verdict(chats, chat_id, state.seqs[i] if i < len(state.seqs) else None)
    if error := state.pop("input_error", None):
        show_error(f"{error} (your text is back in the box)", settings)
    for message in state.pop("input_messages", []):
        st.info(message, icon=":material/info:")
    question = st.chat_input("Ask about the guide, e.g. explain GQA vs MQA", key="question", on_submit=on_submit,
                             submit_mode="disable")
    if question:
        ask(chat, question, settings, coach, chats)
        if state.chat_id and st.query_params.get("chat") != state.chat_id:
            st.query_params["chat"] = state.chat_id  # a reload reopens this chat


def browse(retriever) -> None:
    st.subheader("The guide, by section")
    order: dict[str, list] = {}
    for chunk in retriever.index.in_order():
        order.setdefault(chunk.section, []).append(chunk)
    section = st.selectbox("Section", list(order), key="browse_section")
    for c in order[section]:
        with st.expander(card_label(c.number, c.title, c.section)):
            st.markdown(guide_text_markdown(c.text))


def main() -> None:
    st.set_page_config(page_title="GenAI interview study assistant", page_icon=":material/school:")
    st.title("GenAI interview study assistant")
    try:
        base = load_settings()
    except StudyError as err:  # an invalid STUDY_ variable: say which, never a traceback
        show_error(str(err), None)
        st.stop()
    if not admitted(base):
        st.stop()
    try:
        retriever = retriever_for(str(base.index_dir), base.chroma_url, base.collection, base.embed_model)
        settings, view = sidebar(base, retriever)
        llm = llm_for(settings.llm_backend, settings.llm_model, address_of(settings), settings)
    except StudyError as err:
        show_error(str(err), base)
        st.stop()
    status_line(settings, retriever, llm)
    try:
        coach = coach_for(str(settings.progress_path), settings, retriever)
    except StudyError as err:  # e.g. a corrupted progress file: chat still works
        coach = None
        show_error(str(err), settings, st.sidebar)
    try:
        chats = chats_for(str(settings.chats_path))
    except StudyError as err:  # e.g. a foreign file where the chats would be: chat works, unsaved
        chats = None
        show_error(str(err), settings, st.sidebar)
    if view == "Chat":
        chat_list(chats, retriever.index)
    if view == "Browse the guide":
        browse(retriever)
    elif view in ("Practice", "Mastery"):
        if coach is None:
            st.error("Study mode needs a readable progress file (see the sidebar).", icon=":material/error:")
        elif view == "Practice":
            practice_page(coach, st.session_state.get("section_filter"), llm)
        else:
            mastery_page(coach)
    else:
        chat_page(settings, retriever, llm, coach, chats)


main()
