"""The Responses API (OpenAI ``/responses``), translated at the edge into the one chat
request and served by the chat core."""
