"""The HTTP adapter: calendar feeds, the administrators' dashboard and partners' signed links,
served by starlette on uvicorn around the same `App` the command line uses."""
