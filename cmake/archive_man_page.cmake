# Writes the Markdown source of screenreel-archive(5) (cmake -P, run at build time before pandoc):
# schemas/archive-layout.md as it is, and schemas/catalog.sql as a block under CATALOG, with a
# NAME, a title and SEE ALSO around them. The page is made from the schemas every build, so it
# says what they say. Headings: the Markdown is read by pandoc with --shift-heading-level-by=-1,
# so the layout's "## Frame files" becomes a section (.SH) and its title line a paragraph.
# -DLAYOUT=schemas/archive-layout.md -DCATALOG=schemas/catalog.sql -DVERSION=x.y.z -DOUT=file.md
file(READ ${LAYOUT} layout)
file(READ ${CATALOG} catalog)
file(WRITE ${OUT} "---
title: SCREENREEL-ARCHIVE
section: 5
header: screenreel file formats
footer: screenreel ${VERSION}
---

## NAME

screenreel-archive - the archive screenreel-receiver records into: catalog.db (SQLite) and one
folder of JPEG frames (frame_000001.jpg, ...) per session

## DESCRIPTION

")
file(APPEND ${OUT} "${layout}")
file(APPEND ${OUT} "
## CATALOG

The tables of catalog.db, as the library creates them (schemas/catalog.sql):

~~~~~~~~~~ {.sql}
")
file(APPEND ${OUT} "${catalog}")
file(APPEND ${OUT} "~~~~~~~~~~

## FILES

The specification this page is made from is installed with the programs, in
share/screenreel/schemas/ (archive-layout.md, catalog.sql, migrations/).

## SEE ALSO

**screenreel-receiver**(1), **screenreel-replay**(1), **screenreel-capture**(1), **sqlite3**(1)
")
