#ifndef DAV_VCARD_H
#define DAV_VCARD_H
#endif
