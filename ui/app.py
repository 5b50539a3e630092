"""The study assistant in the browser. Run with `study ui` (or `streamlit run ui/app.py`).

Thin by design: settings come from the environment, are adjusted in the sidebar, and
everything else is a call into `assistant`.
"""

from __future__ import annotations

import streamlit as st

from assistant.answer import Answer, Chat
from assistant.errors import StudyError
from assistant.settings import Settings, load_settings
from ui.practice import mastery_page, practice_page
from ui.render import answer_markdown, card_label, guide_text_markdown
from ui.resources import assistant_for, backend_problem, coach_for, llm_for, retriever_for

BACKENDS = {"embedded": "Embedded (llama.cpp)", "ollama": "Ollama", "openai": "OpenAI-compatible server"}


def sidebar(base: Settings, retriever) -> tuple[Settings, str]:
    """Backend, model, top-k, section, view; returns the settings for this run and the view."""
    sb = st.sidebar
    view = sb.radio("View", ["Chat", "Practice", "Mastery", "Browse the guide"], key="view", horizontal=True)
    backend = sb.selectbox("Backend", list(BACKENDS), format_func=BACKENDS.get, key="backend",
                           index=list(BACKENDS).index(base.llm_backend))
    model = sb.text_input("Model", value=base.llm_model or "", key="model",
                          help="Embedded: smollm2-135m, gemma3-270m or a .gguf path. Ollama: e.g. llama3.2:3b.")
    update = {"llm_backend": backend, "llm_model": model.strip() or None}
    if backend == "ollama":
        update["ollama_host"] = sb.text_input("Ollama host", value=base.ollama_host, key="ollama_host")
    elif backend == "openai":
        update["openai_base_url"] = sb.text_input("Server base URL", value=base.openai_base_url, key="openai_url")
    update["top_k"] = sb.slider("Questions to retrieve (top-k)", 1, max(10, base.top_k), base.top_k, key="top_k")
    sections = ["All sections", *retriever.sections]
    section = sb.selectbox("Section", sections, key="section")
    if sb.button("New chat", key="new_chat", icon=":material/add_comment:"):
        st.session_state.turns = []
    st.session_state.section_filter = None if section == sections[0] else section
    return base.model_copy(update=update), view


def status_line(settings: Settings, retriever, llm) -> None:
    problem = None if settings.llm_backend == "embedded" else backend_problem(
        settings.llm_backend, settings.llm_model, settings.ollama_host, settings.openai_base_url, llm
    )
    reach = "ready" if problem is None else "not reachable"
    st.sidebar.caption(f"{len(retriever.chunks)} questions indexed · {llm.name} · {reach}")
    if problem:
        st.sidebar.error(problem, icon=":material/cloud_off:")


def show_answer(answer: Answer, key: str, coach=None) -> None:
    if answer.refused:
        st.markdown(":orange-badge[Not in the guide]")
    st.markdown(answer_markdown(answer.answer))
    if answer.error:
        st.error(answer.error, icon=":material/error:")
        if answer.answer:
            st.caption("The answer above is incomplete.")
    for sentence in answer.unsupported_sentences:
        st.warning(f"Not supported by the guide: {sentence}", icon=":material/report:")
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


def ask(chat: Chat, question: str, coach) -> None:
    with st.chat_message("user"):
        st.text(question)  # the learner's words, shown as typed: never rendered as Markdown
    with st.chat_message("assistant"):
        placeholder = st.empty()
        text = ""
        try:
            for item in chat.ask_stream(question, st.session_state.get("section_filter")):
                if isinstance(item, Answer):
                    placeholder.empty()
                    show_answer(item, f"turn{len(chat.turns) - 1}", coach)
                else:
                    text += item
                    placeholder.markdown(answer_markdown(text) + " ▌")
        except StudyError as err:  # empty or oversized question: nothing was asked
            placeholder.empty()
            st.error(str(err), icon=":material/error:")


def browse(retriever) -> None:
    st.subheader("The guide, by section")
    order: dict[str, list] = {}
    for chunk in sorted(retriever.chunks, key=lambda c: c.number):
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
        st.error(str(err), icon=":material/error:")
        st.stop()
    try:
        retriever = retriever_for(str(base.index_dir), base.chroma_url, base.collection, base.embed_model)
    except StudyError as err:
        st.error(str(err), icon=":material/error:")
        st.stop()
    settings, view = sidebar(base, retriever)
    try:
        llm = llm_for(settings.llm_backend, settings.llm_model, settings.ollama_host, settings.openai_base_url,
                      settings)
    except StudyError as err:
        st.error(str(err), icon=":material/error:")
        st.stop()
    status_line(settings, retriever, llm)
    try:
        coach = coach_for(str(settings.progress_path), retriever)
    except StudyError as err:  # e.g. a corrupted progress file: chat still works
        coach = None
        st.sidebar.warning(str(err), icon=":material/warning:")
    if view == "Browse the guide":
        browse(retriever)
        return
    if view in ("Practice", "Mastery"):
        if coach is None:
            st.error("Study mode needs a readable progress file (see the sidebar).", icon=":material/error:")
        elif view == "Practice":
            practice_page(coach, st.session_state.get("section_filter"), llm)
        else:
            mastery_page(coach)
        return

    st.session_state.setdefault("turns", [])
    key = (settings.llm_backend, settings.llm_model, settings.ollama_host, settings.openai_base_url, settings.top_k,
           str(settings.index_dir), settings.chroma_url)
    chat = Chat(assistant_for(key, settings, llm, retriever))
    chat.turns = st.session_state.turns  # this browser session's history, nobody else's
    for i, turn in enumerate(chat.turns):
        with st.chat_message("user"):
            st.text(turn.question)
        with st.chat_message("assistant"):
            show_answer(turn.answer, f"turn{i}", coach)
    if question := st.chat_input("Ask about the guide, e.g. explain GQA vs MQA"):
        ask(chat, question, coach)


main()
