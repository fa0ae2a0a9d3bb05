-- wrk script: search around the four first territories' main towns, with and without filters.
local paths = {
  "/api/v1/search/services?code_commune=12202&size=20",
  "/api/v1/search/services?code_commune=81004&thematiques=numerique&size=20",
  "/api/v1/search/services?code_commune=11069&thematiques=famille,mobilite&size=20",
  "/api/v1/search/services?code_commune=97411&q=faire+garder+mon+enfant&size=20",
  "/api/v1/search/services?code_commune=12145&publics=jeunes&size=20",
  "/api/v1/search/services?code_commune=81065&q=aide+aux+demarches&size=20",
}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
