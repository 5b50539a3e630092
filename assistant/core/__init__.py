"""The shared bottom layer: settings, errors, the types every layer passes (Chunk, Hit,
Message) and pure text helpers. Imports nothing else of the project."""
