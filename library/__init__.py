"""The model library: GGUF models downloaded, found on disk, and their facts. No Qt."""
