# Sourced by the other scripts: exports the variables of .env that the environment does
# not already set (the environment wins, as in the Django settings).
if [ -f .env ]; then
  while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in ''|'#'*) continue ;; esac
    key=${line%%=*}
    [ -n "${!key+x}" ] || export "$key=${line#*=}"
  done < .env
fi
