"""Optional LLM refinement of incident analyses through any OpenAI-compatible endpoint.

Nothing here is imported unless an endpoint is configured (`RESYNC_LLM_BASE_URL`,
`RESYNC_LLM_MODEL`, `RESYNC_LLM_API_KEY`, read when called): the rules work offline on their own.
Modules: `settings` (configuration), `prompts` (the prompt text), `schema` (the answer's JSON schema
and its validation), `safety` (the allow-list for suggested commands), `client` (the call, retry
and fallback).
"""
