"""HTTP controllers, one per resource; handlers decode, call the core, and return Structs."""
