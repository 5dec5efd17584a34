"""Voice clips for calling: phrase pieces rendered once, played in order by the screens."""
