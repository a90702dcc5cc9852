"""The chat core: conversations, sending and saving, options. No Qt."""
