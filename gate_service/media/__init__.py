"""Media calls (images today; speech and transcription next) and the media catalogue:
what the images, moderations and media servicers share."""
