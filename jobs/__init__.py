"""The application: ports, command handlers, the planner and (later) the dispatcher."""
