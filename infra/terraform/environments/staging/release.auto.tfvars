# The release this environment runs (infra/README.md, Deploying a new version).
image_tag            = "REPLACE-WITH-THE-FIRST-RELEASE-TAG"
migrations_image_tag = null
