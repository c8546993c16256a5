// @oasis/sim: placeholder
