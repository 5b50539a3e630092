"""Streamlit chat front end. It stays thin: it calls `assistant`, never Chroma or llama-index."""
