"""Saved conversations in the browser: the sidebar's list of this learner's chats, the open
chat (its id in the URL, so a reload keeps it), and a verdict under each answer.

Thin: storing, restoring and exporting live in `assistant.history`; this module only
keeps `st.session_state` in step with the learner's `ChatStore`.
"""

from __future__ import annotations

import streamlit as st

from assistant.core.errors import StudyError
from assistant.history.chats import markdown, restore
from assistant.history.store import REASONS, is_chat_id


def open_chat(store, index) -> str | None:
    """The open chat's id. A chat named in the URL that this learner has (a reload, a
    shared link of one's own) is restored once per session with its follow-up context."""
    state = st.session_state
    state.setdefault("turns", [])
    state.setdefault("seqs", [])
    state.setdefault("chat_id", None)
    wanted = st.query_params.get("chat")
    if store is not None and wanted and wanted != state.chat_id and is_chat_id(wanted) and store.chat(wanted):
        saved = store.turns(wanted)
        state.turns, state.seqs, state.chat_id = restore(saved, index), [t.seq for t in saved], wanted
        for t in saved:
            if t.rating is not None:
                state[_key(wanted, t.seq)] = t.rating
                state[_key(wanted, t.seq) + "_sent"] = t.rating
    elif state.chat_id and wanted != state.chat_id:
        st.query_params["chat"] = state.chat_id
    return state.chat_id


def start_new_chat() -> None:
    state = st.session_state
    state.turns, state.seqs, state.chat_id = [], [], None
    st.query_params.pop("chat", None)


def saver(store):
    """`Chat.on_turn` for this session: saves each kept turn; the first one names the chat."""
    state = st.session_state

    def save(turn, history) -> None:
        if state.chat_id is None:
            state.chat_id = store.new_chat_id()
        state.seqs.append(store.add_turn(state.chat_id, turn.answer, history))

    return save


def chat_list(store, index) -> None:
    """The sidebar: New chat, this learner's chats newest first, and for the open one:
    download as Markdown, rename, delete (asked twice)."""
    sb, state = st.sidebar, st.session_state
    if sb.button("New chat", key="new_chat", icon=":material/add_comment:"):
        start_new_chat()
    if store is None:
        return
    chats = store.chats(limit=30)
    if not chats:
        return
    sb.caption("Your chats")
    for info in chats:
        current = info.id == state.get("chat_id")
        if sb.button(info.title, key=f"open_{info.id}", type="primary" if current else "tertiary",
                     icon=":material/chat:", width="stretch") and not current:
            st.query_params["chat"] = info.id
            st.rerun()
    info = store.chat(state.chat_id) if state.get("chat_id") else None
    if info is None:
        return
    sb.download_button("Download as Markdown", markdown(info, store.turns(info.id), index),
                       file_name=f"chat-{info.id}.md", mime="text/markdown", icon=":material/download:",
                       on_click="ignore")
    with sb.popover("Rename or delete", icon=":material/edit:"):
        title = st.text_input("Title", value=info.title, key=f"title_{info.id}", max_chars=120)
        if st.button("Rename", key=f"rename_{info.id}") and title.strip() != info.title:
            _do(store.rename, info.id, title)
        if state.get("confirm_delete") != info.id:
            if st.button("Delete this chat", key=f"delete_{info.id}", icon=":material/delete:"):
                state.confirm_delete = info.id
                st.rerun()
        else:
            st.warning(f"Delete “{info.title}”? This cannot be undone.", icon=":material/warning:")
            if st.button("Yes, delete it", key=f"really_delete_{info.id}", type="primary"):
                state.confirm_delete = None
                _do(store.delete, info.id)
                start_new_chat()
                st.rerun()
            if st.button("Keep it", key=f"keep_{info.id}"):
                state.confirm_delete = None
                st.rerun()


def _do(action, *args) -> None:
    try:
        action(*args)
    except StudyError as err:
        st.error(str(err), icon=":material/error:")


def verdict(store, chat_id: str | None, seq: int | None) -> None:
    """Thumbs up or down under a saved answer; a thumbs-down asks why (one reason, optional
    words) and is stored with the turn."""
    if store is None or chat_id is None or seq is None:
        return
    state, key = st.session_state, _key(chat_id, seq)
    value = st.feedback("thumbs", key=key)
    sent = state.get(key + "_sent")
    if value == 1 and sent != 1:
        _do(store.rate, chat_id, seq, 1)
        state[key + "_sent"] = 1
    elif value == 0 and sent != 0:
        with st.form(key + "_why"):
            reason = st.selectbox("What was wrong?", list(REASONS), format_func=REASONS.get, key=key + "_reason")
            note = st.text_input("Anything else? (optional)", key=key + "_note", max_chars=2000)
            if st.form_submit_button("Send"):
                _do(store.rate, chat_id, seq, 0, reason, note)
                state[key + "_sent"] = 0
                st.rerun()
    elif value == 0:
        st.caption("Thanks: marked as not good. It becomes evaluation data with `study feedback export`.")


def _key(chat_id: str, seq: int) -> str:
    return f"verdict_{chat_id}_{seq}"
