# cmake -DINPUT=file -DOUTPUT=file.cpp -DFUNCTION=name -P embed_file.cmake
# Writes a C++ file whose function `std::string_view sylk::web::NAME()` returns INPUT's
# bytes: the demo page is part of the module, so any host serves it with no path to set.
file(READ "${INPUT}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" bytes "${bytes}")
file(WRITE "${OUTPUT}.tmp" "// Generated from ${INPUT} by embed_file.cmake; do not edit.\n"
  "#include <string_view>\n\nnamespace sylk::web {\n\nnamespace {\nconst unsigned char kBytes[] = {\n${bytes}};\n}\n\n"
  "std::string_view ${FUNCTION}() { return {reinterpret_cast<const char *>(kBytes), sizeof kBytes}; }\n\n}  // namespace sylk::web\n")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
