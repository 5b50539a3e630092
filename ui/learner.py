"""Who is learning in this browser session: a typed name, checked, kept in the URL so a
reload keeps it. Each learner has their own progress file and saved chats."""

from __future__ import annotations

import streamlit as st

from assistant.core.errors import StudyError
from assistant.core.settings import Settings
from ui.chats import start_new_chat
from ui.render import error_markdown


def learner(base: Settings) -> str:
    """This session's learner profile: a typed name, checked; a bad one keeps the last good one."""
    state, sb = st.session_state, st.sidebar
    if "profile" not in state:  # a reload keeps the learner named in the URL
        named = st.query_params.get("learner", "")
        state.profile = named if named and _usable(base, named) else base.profile
    state.setdefault("learner", state.profile)
    typed = sb.text_input("Learner", key="learner", max_chars=64,
                          help="Your name for study progress (letters, digits, - and _); each learner has a file.")
    name = typed.strip()
    if name != state.profile:
        try:
            path = base.model_copy(update={"profile": name}).progress_path
        except StudyError as err:
            sb.error(f"{error_markdown(str(err))} (still studying as {state.profile})", icon=":material/person_off:")
            return state.profile
        if not path.exists():
            sb.info(f"New learner {name}: progress is saved under this name from your first grade.",
                    icon=":material/person_add:")
        state.profile = name
        state.practice_q = state.practice_grade = None  # the next question comes from this learner's queue
        start_new_chat()  # chats belong to learners
    if state.profile != base.profile:
        st.query_params["learner"] = state.profile
    else:
        st.query_params.pop("learner", None)
    return state.profile


def _usable(base: Settings, name: str) -> bool:
    try:
        base.model_copy(update={"profile": name}).progress_path
    except StudyError:
        return False
    return True
