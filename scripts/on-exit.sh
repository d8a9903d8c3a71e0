# Sourced by the scripts: `on_exit CMD` runs CMD when the script exits, after every CMD
# registered later (so a server stops before the database under it).
if [ -z "${ON_EXIT_LOADED:-}" ]; then
  ON_EXIT_LOADED=1
  ON_EXIT=()
fi
on_exit() {
  ON_EXIT=("$1" "${ON_EXIT[@]}")
  trap 'for hook in "${ON_EXIT[@]}"; do eval "$hook"; done' EXIT
}
