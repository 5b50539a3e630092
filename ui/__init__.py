"""The Streamlit front end: `study ui` runs `ui/app.py`. It only calls the assistant."""
