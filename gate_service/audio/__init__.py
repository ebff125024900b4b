"""Speech and transcription: the audio calls' service, their needs and billing, and the
spool an upload waits in."""
